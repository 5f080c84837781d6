"""Navigation by role: each person sees the menu entries their roles open."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dalun.campaigns.models import Campaign
from dalun.org import policy


def navigation(request: HttpRequest) -> dict[str, object]:
    user = request.user
    entries = [
        (reverse("portal-home"), _("Public portal")),
        (reverse("unit-tree"), _("Organisation")),
        (reverse("campaign-list"), _("Campaigns")),
    ]
    dashboard_units = policy.scope_units(user, "dashboard.view")
    if dashboard_units:
        campaign = Campaign.objects.order_by("-starts_on").only("key").first()
        if campaign is not None:
            entries.append((reverse("dashboard", args=[dashboard_units[0].pk, campaign.key]), _("Dashboard")))
    if policy.allows_anywhere(user, "suggestion.moderate"):
        entries.append((reverse("voices-queue"), _("Moderation")))
        entries.append((reverse("opinion-maps"), _("Opinion maps")))  # opinion.moderate: same roles
    if policy.allows_anywhere(user, "suggestion.answer"):
        entries.append((reverse("voices-inbox"), _("Suggestions to answer")))
    if policy.allows_anywhere(user, "alert.view"):
        entries.append((reverse("formalism-alerts"), _("Formalism alerts")))
    if policy.allows_anywhere(user, "supervision.view"):  # groups, a supervisor's units, findings to rectify
        entries.append((reverse("supervision-home"), _("Supervision")))
    if policy.allows_anywhere(user, "unit.import"):
        entries.append((reverse("unit-import"), _("Import units")))
    if policy.allows_anywhere(user, "campaign.manage"):
        entries.append((reverse("campaign-create"), _("New campaign")))
    entries.append((reverse("workcalendar-year"), _("Working-day calendar")))
    return {"nav_entries": entries, "nav_roles": sorted(policy.role_labels(user))}
