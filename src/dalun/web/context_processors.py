"""Navigation by role: each person sees the menu entries their roles open."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dalun.org import policy


def navigation(request: HttpRequest) -> dict[str, object]:
    user = request.user
    entries = [(reverse("unit-tree"), _("Organisation")), (reverse("campaign-list"), _("Campaigns"))]
    if policy.allows_anywhere(user, "unit.import"):
        entries.append((reverse("unit-import"), _("Import units")))
    if policy.allows_anywhere(user, "campaign.manage"):
        entries.append((reverse("campaign-create"), _("New campaign")))
    return {"nav_entries": entries, "nav_roles": sorted(policy.role_labels(user))}
