"""Writes of public participation: submit, support, moderate, route, answer, rate, escalate.

The public acts without an account: a suggestion is followed by its receipt code, a support is counted
once per participant (a pseudonymous cookie id). Every service checks the policy, runs in one transaction
and leaves an audit entry (a public submission's by its intake task: see :mod:`.submission`).
"""

from dalun.voices.services._shared import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENTS_MAX,
    CONTACT_MAX,
    TEXT_MAX,
    TITLE_MAX,
    clean_text,
)
from dalun.voices.services.handling import (
    notifications_mark_read,
    suggestion_answer,
    suggestion_pass_on,
    suggestion_route,
    suggestions_escalate,
)
from dalun.voices.services.moderation import (
    contact_of,
    may_see_contact,
    suggestion_merge,
    suggestion_publish,
    suggestion_reject,
)
from dalun.voices.services.participation import suggestion_rate, suggestion_support
from dalun.voices.services.submission import new_receipt_code, suggestion_intake, suggestion_submit

__all__ = [
    "ATTACHMENTS_MAX",
    "ATTACHMENT_MAX_BYTES",
    "CONTACT_MAX",
    "TEXT_MAX",
    "TITLE_MAX",
    "clean_text",
    "contact_of",
    "may_see_contact",
    "new_receipt_code",
    "notifications_mark_read",
    "suggestion_answer",
    "suggestion_intake",
    "suggestion_merge",
    "suggestion_pass_on",
    "suggestion_publish",
    "suggestion_rate",
    "suggestion_reject",
    "suggestion_route",
    "suggestion_submit",
    "suggestion_support",
    "suggestions_escalate",
]
