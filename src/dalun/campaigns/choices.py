"""Labels of the capabilities that campaign phases open (the names themselves live in the template format)."""

from django.utils.translation import gettext_lazy as _

CAPABILITY_LABELS = {
    "suggestion.create": _("public sends suggestions"),
    "suggestion.support": _("public supports suggestions"),
    "ledger.edit": _("units edit their ledgers"),
    "ledger.submit": _("units submit their ledgers"),
    "keylink.report": _("units report key links"),
    "opinion.vote": _("public votes in opinion maps"),
    "supervision.inspect": _("supervisors inspect"),
    "assessment.score": _("assessors score"),
}
