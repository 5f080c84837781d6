"""Vocabularies of the formalism scan."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    COPIED = "copied", _("Copied work")
    SLOGAN = "slogan", _("Slogans instead of substance")
    BLAME_SHIFTING = "blame_shifting", _("Blame-shifting")
    MOTIONS = "motions", _("Motions without action")
    NEGLECT = "neglect", _("Neglect")


class AlertRule(models.TextChoices):
    COPIED_PAIR = "copied_pair", _("Near-duplicate of another unit's text")
    COPIED_TEMPLATE = "copied_template", _("Near-duplicate of a template text")
    SLOGAN_LEDGER = "slogan_ledger", _("Self-examination made of stock phrases")
    BLAME_PROBLEM = "blame_problem", _("Problem blamed on others")
    FEW_PROBLEMS = "few_problems", _("Self-examination with no or trivially few problems")
    CLOSED_WITHOUT_EVIDENCE = "closed_without_evidence", _("Measures closed without evidence")
    CLOSED_ON_DEADLINE = "closed_on_deadline", _("Many measures closed on their deadline day")
    CLOSING_BURST = "closing_burst", _("Measures closed in a burst")
    KEYLINK_WITHOUT_EVIDENCE = "keylink_without_evidence", _("Key links marked done without evidence")
    OVERDUE_MEASURES = "overdue_measures", _("Overdue measures")
    OVERDUE_KEYLINKS = "overdue_keylinks", _("Key links past their window")
    UNANSWERED_SUGGESTIONS = "unanswered_suggestions", _("Suggestions unanswered past their deadline")


RULE_KIND: dict[str, str] = {
    AlertRule.COPIED_PAIR: AlertKind.COPIED,
    AlertRule.COPIED_TEMPLATE: AlertKind.COPIED,
    AlertRule.SLOGAN_LEDGER: AlertKind.SLOGAN,
    AlertRule.BLAME_PROBLEM: AlertKind.BLAME_SHIFTING,
    AlertRule.FEW_PROBLEMS: AlertKind.MOTIONS,
    AlertRule.CLOSED_WITHOUT_EVIDENCE: AlertKind.MOTIONS,
    AlertRule.CLOSED_ON_DEADLINE: AlertKind.MOTIONS,
    AlertRule.CLOSING_BURST: AlertKind.MOTIONS,
    AlertRule.KEYLINK_WITHOUT_EVIDENCE: AlertKind.MOTIONS,
    AlertRule.OVERDUE_MEASURES: AlertKind.NEGLECT,
    AlertRule.OVERDUE_KEYLINKS: AlertKind.NEGLECT,
    AlertRule.UNANSWERED_SUGGESTIONS: AlertKind.NEGLECT,
}


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")
    RESOLVED = "resolved", _("No longer found")
