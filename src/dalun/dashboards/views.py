"""The subtree dashboard page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from dalun.campaigns.models import localized
from dalun.campaigns.selectors import campaign_by_key
from dalun.dashboards.selectors import dashboard
from dalun.org import policy
from dalun.org.selectors import unit_ancestors, unit_get
from dalun.voices.selectors import suggestion_figures


@login_required
def dashboard_view(request: HttpRequest, unit_id: int, campaign_key: str) -> HttpResponse:
    unit, campaign = unit_get(unit_id=unit_id), campaign_by_key(key=campaign_key)
    policy.require(request.user, "dashboard.view", unit)
    board = dashboard(unit=unit, campaign=campaign)
    chart_data = {
        "categories": [localized(name) for _key, name, _counts in board.categories],
        "open": [counts["open"] for _key, _name, counts in board.categories],
        "rectified": [counts["rectified"] for _key, _name, counts in board.categories],
        "measureLabels": [
            _("overdue"),
            _("on time"),
            _("awaiting verification"),
            _("closed on time"),
            _("closed late"),
        ],
        "measures": list(board.measures.values()),
        "timeline": board.timeline,
        "labels": {
            "open": _("being rectified"),
            "rectified": _("rectified"),
            "created": _("measures recorded"),
            "closed": _("measures closed"),
        },
    }
    ancestors = [a for a in unit_ancestors(unit=unit) if policy.allows(request.user, "dashboard.view", a)]
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "board": board,
            "chart_data": chart_data,
            "ancestors": ancestors,
            "suggestions": suggestion_figures(unit=unit, campaign=campaign),
        },
    )
