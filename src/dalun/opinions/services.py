"""Writes of opinion maps: open a map, seed and promote statements, moderate them, vote, submit.

Moderators (``opinion.moderate`` over the map's unit, or the campaign's leading unit) prepare and moderate;
the public votes and writes statements without an account, as a pseudonymous participant (a cookie's random
id, or the account of a signed-in person). Votes are not audited one by one (like supports of suggestions):
the vote rows are the record. A vote marks the map "dirty"; the first vote after a computation schedules one
recomputation after commit (see :mod:`dalun.opinions.tasks`), so a burst of votes costs one computation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dalun.audit.services import audit_record
from dalun.campaigns.models import Breakthrough, Campaign
from dalun.campaigns.services import phase_allows
from dalun.engines.text import normalise
from dalun.opinions.choices import Choice, MapStatus, StatementOrigin, StatementStatus
from dalun.opinions.models import OpinionMap, Participant, Statement, Vote
from dalun.org import policy
from dalun.org.models import Unit
from dalun.voices.choices import Moderation
from dalun.voices.models import Suggestion
from dalun.voices.services import clean_text

QUESTION_MAX, DESCRIPTION_MAX = 300, 5000
STATEMENT_MAX = 200  # typed statements; imported ones may be longer (the model keeps up to 500)
SEED_MAX_LINES = 200
COUNTER = {Choice.AGREE: "agree_count", Choice.DISAGREE: "disagree_count", Choice.PASS: "pass_count"}
DECISIONS = ("accept", "reject", "meta")


def statement_key(text: str) -> str:
    """What two statements must share to be the same statement: case, width, spaces and end marks folded."""
    return normalise(text).rstrip("。．.!！?？;；,， ")


def person_key(person: Any) -> str:
    """The participant key of a signed-in person (a cookie id is 32 hex digits, so the two never meet)."""
    return f"person:{person.pk}"


def _authenticated(person: Any) -> Any:
    return person if getattr(person, "is_authenticated", False) else None


def _locked(opinion_map: OpinionMap) -> OpinionMap:
    return (
        OpinionMap.objects.select_for_update(of=("self",))
        .select_related("campaign__owner_unit", "unit")
        .get(pk=opinion_map.pk)
    )


def _moderated(actor: Any, opinion_map: OpinionMap) -> OpinionMap:
    current = _locked(opinion_map)
    policy.require(actor, "opinion.moderate", current.scope_unit)
    return current


def mark_dirty(opinion_map_id: int) -> bool:
    """Note that the map has changed since its last computation; the first change schedules one (after
    commit). Returns whether this call scheduled it."""
    marked = OpinionMap.objects.filter(pk=opinion_map_id, dirty_since__isnull=True).update(
        dirty_since=timezone.now()
    )
    if marked:
        from dalun.opinions.tasks import schedule_recompute

        transaction.on_commit(lambda: schedule_recompute(opinion_map_id))
    return bool(marked)


@transaction.atomic
def opinion_map_create(
    *,
    actor: Any,
    campaign: Campaign,
    question: str,
    description: str = "",
    unit: Unit | None = None,
    breakthrough: Breakthrough | None = None,
    statements: Iterable[str] = (),
) -> OpinionMap:
    """Open a map on a question (in preparation until opened), with its seed statements, one per line."""
    owner = campaign.owner_unit
    policy.require(actor, "opinion.moderate", unit or owner)
    if unit is not None and not unit.is_within(owner):
        raise ValidationError({"unit": _("The unit is outside the campaign.")})
    if breakthrough is not None and breakthrough.campaign_id != campaign.pk:
        raise ValidationError({"breakthrough": _("This breakthrough belongs to another campaign.")})
    opinion_map = OpinionMap.objects.create(
        campaign=campaign,
        question=clean_text(question, field="question", maximum=QUESTION_MAX),
        description=clean_text(description, field="description", maximum=DESCRIPTION_MAX, required=False),
        unit=unit,
        breakthrough=breakthrough,
        created_by=_authenticated(actor),
    )
    audit_record(
        actor=actor,
        action="opinion_map.create",
        obj=opinion_map,
        changes={"question": [None, opinion_map.question], "unit": [None, unit.pk if unit else None]},
    )
    texts = [text for text in statements if text.strip()]
    if texts:
        statements_seed(actor=actor, opinion_map=opinion_map, texts=texts)
    return opinion_map


@transaction.atomic
def opinion_map_update(
    *,
    actor: Any,
    opinion_map: OpinionMap,
    status: str | None = None,
    participants_may_submit: bool | None = None,
) -> OpinionMap:
    """Open the map for votes, close it (results stay public), or allow or stop participants' statements."""
    current = _moderated(actor, opinion_map)
    changes: dict[str, list[Any]] = {}
    if status is not None and status != current.status:
        if status not in MapStatus.values:
            raise ValidationError({"status": _("Unknown status.")})
        if (
            status == MapStatus.OPEN
            and not current.statements.filter(status=StatementStatus.ACCEPTED, is_meta=False).exists()
        ):
            raise ValidationError({"status": _("Accept at least one statement before opening the map.")})
        changes["status"] = [current.status, status]
        current.status = status
    if participants_may_submit is not None and participants_may_submit != current.participants_may_submit:
        changes["participants_may_submit"] = [current.participants_may_submit, participants_may_submit]
        current.participants_may_submit = participants_may_submit
    if changes:
        current.version += 1
        current.save()
        audit_record(actor=actor, action="opinion_map.update", obj=current, changes=changes)
    return current


def _next_column(opinion_map: OpinionMap) -> int:
    """The next free column; the caller holds the map's row lock."""
    column = OpinionMap.objects.filter(pk=opinion_map.pk).values_list("n_statements", flat=True).get()
    OpinionMap.objects.filter(pk=opinion_map.pk).update(n_statements=F("n_statements") + 1)
    return column


def _new_statement(
    opinion_map: OpinionMap,
    *,
    text: str,
    field: str,
    origin: str,
    status: str,
    actor: Any = None,
    author: Participant | None = None,
    suggestion: Suggestion | None = None,
) -> Statement:
    text = clean_text(text, field=field, maximum=STATEMENT_MAX)
    key = statement_key(text)
    duplicate = (
        Statement.objects.filter(opinion_map=opinion_map, search_key=key)
        .exclude(status=StatementStatus.REJECTED)
        .exists()
    )
    if duplicate:
        raise ValidationError({field: _("This statement is already on the map: %(text)s") % {"text": text}})
    moderator = _authenticated(actor)
    return Statement.objects.create(
        opinion_map=opinion_map,
        column=_next_column(opinion_map),
        text=text,
        search_key=key,
        status=status,
        origin=origin,
        author=author,
        suggestion=suggestion,
        moderated_at=timezone.now() if status != StatementStatus.PENDING else None,
        moderated_by=moderator if status != StatementStatus.PENDING else None,
    )


@transaction.atomic
def statements_seed(*, actor: Any, opinion_map: OpinionMap, texts: Iterable[str]) -> list[Statement]:
    """The moderators' own statements, accepted at once; an error names the line it is on."""
    current = _moderated(actor, opinion_map)
    lines = [(number, text) for number, text in enumerate(texts, start=1) if text.strip()]
    if len(lines) > SEED_MAX_LINES:
        raise ValidationError(
            {"statements": _("At most %(max)s statements at once.") % {"max": SEED_MAX_LINES}}
        )
    created = []
    for number, text in lines:
        try:
            statement = _new_statement(
                current,
                text=text,
                field="statements",
                origin=StatementOrigin.SEED,
                status=StatementStatus.ACCEPTED,
                actor=actor,
            )
        except ValidationError as error:
            problems = " ".join(error.message_dict.get("statements", error.messages))
            raise ValidationError(
                {"statements": _("Line %(line)s: %(problem)s") % {"line": number, "problem": problems}}
            ) from None
        audit_record(actor=actor, action="statement.seed", obj=statement, changes={"text": [None, text]})
        created.append(statement)
    return created


@transaction.atomic
def statement_promote(
    *, actor: Any, opinion_map: OpinionMap, suggestion: Suggestion, text: str = ""
) -> Statement:
    """A published suggestion of the campaign becomes a statement: its title, or the moderator's words."""
    current = _moderated(actor, opinion_map)
    suggestion = Suggestion.objects.get(pk=suggestion.pk)
    if suggestion.campaign_id != current.campaign_id or suggestion.moderation != Moderation.PUBLISHED:
        raise ValidationError(
            {"suggestion": _("Only a published suggestion of the campaign can be promoted.")}
        )
    if Statement.objects.filter(opinion_map=current, suggestion=suggestion).exists():
        raise ValidationError({"suggestion": _("This suggestion is already a statement of the map.")})
    statement = _new_statement(
        current,
        text=text.strip() or suggestion.title,
        field="text",
        origin=StatementOrigin.SUGGESTION,
        status=StatementStatus.ACCEPTED,
        actor=actor,
        suggestion=suggestion,
    )
    audit_record(
        actor=actor,
        action="statement.promote",
        obj=statement,
        changes={"text": [None, statement.text], "suggestion": [None, suggestion.pk]},
    )
    return statement


@transaction.atomic
def statement_moderate(*, actor: Any, statement: Statement, decision: str) -> Statement:
    """Accept a statement, reject it, or accept it as meta (about the conversation: shown, not mapped)."""
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("Unknown decision.")})
    current = Statement.objects.select_for_update().get(pk=statement.pk)
    opinion_map = OpinionMap.objects.select_related("campaign__owner_unit", "unit").get(
        pk=current.opinion_map_id
    )
    policy.require(actor, "opinion.moderate", opinion_map.scope_unit)
    before = {"status": current.status, "is_meta": current.is_meta}
    was_out = current.status == StatementStatus.REJECTED or current.is_meta
    current.status = StatementStatus.REJECTED if decision == "reject" else StatementStatus.ACCEPTED
    current.is_meta = decision == "meta"
    after = {"status": current.status, "is_meta": current.is_meta}
    if after == before:
        return current
    current.moderated_at, current.moderated_by = timezone.now(), _authenticated(actor)
    current.save()
    audit_record(
        actor=actor,
        action=f"statement.{decision}",
        obj=current,
        changes={name: [before[name], value] for name, value in after.items() if before[name] != value},
    )
    is_out = current.status == StatementStatus.REJECTED or current.is_meta
    if was_out != is_out and current.seen_count:
        mark_dirty(opinion_map.pk)  # the map leaves the statement out, or takes it back in
    return current


def _participant(opinion_map: OpinionMap, *, key: str, person: Any, network: str) -> Participant:
    """The participant with this key, or a new one with the next row (rows are handed out under the map's
    row lock, so two first votes never get the same row)."""
    found = Participant.objects.filter(opinion_map=opinion_map, key=key).first()
    if found is not None:
        return found
    OpinionMap.objects.select_for_update().filter(pk=opinion_map.pk).values_list("pk").get()
    found = Participant.objects.filter(opinion_map=opinion_map, key=key).first()
    if found is not None:
        return found
    row = OpinionMap.objects.filter(pk=opinion_map.pk).values_list("n_participants", flat=True).get()
    OpinionMap.objects.filter(pk=opinion_map.pk).update(n_participants=F("n_participants") + 1)
    return Participant.objects.create(
        opinion_map=opinion_map, row=row, key=key, person=_authenticated(person), network=network[:64]
    )


def is_open_for_public(opinion_map: OpinionMap) -> bool:
    """Does the map take votes now: opened by its moderators, in a phase of the campaign that allows it?"""
    return opinion_map.status == MapStatus.OPEN and phase_allows(opinion_map.campaign, "opinion.vote")


def _open_for_public(opinion_map: OpinionMap) -> None:
    if not is_open_for_public(opinion_map):
        raise ValidationError(_("This opinion map is not taking votes at the moment."))


@transaction.atomic
def vote_cast(
    *,
    opinion_map: OpinionMap,
    statement: Statement,
    value: int,
    participant_key: str,
    person: Any = None,
    network: str = "",
) -> Vote:
    """Agree (+1), disagree (-1) or pass (0) on an accepted statement; a later vote replaces the earlier."""
    if value not in Choice.values:
        raise ValidationError({"value": _("Choose agree, disagree or pass.")})
    value = Choice(value)
    _open_for_public(opinion_map)
    current = (
        Statement.objects.filter(pk=statement.pk, opinion_map=opinion_map, status=StatementStatus.ACCEPTED)
        .only("pk", "column", "opinion_map_id")
        .first()
    )
    if current is None:
        raise ValidationError({"statement": _("This statement is not open for votes.")})
    participant = _participant(opinion_map, key=participant_key, person=person, network=network)
    now = timezone.now()
    existing = Vote.objects.select_for_update().filter(participant=participant, statement=current).first()
    if existing is None:
        try:
            with transaction.atomic():
                vote = Vote.objects.create(
                    opinion_map=opinion_map,
                    participant=participant,
                    statement=current,
                    row=participant.row,
                    column=current.column,
                    value=value,
                    cast_at=now,
                )
        except IntegrityError:  # the same participant's other request came first: replace its vote
            existing = Vote.objects.select_for_update().get(participant=participant, statement=current)
        else:
            Statement.objects.filter(pk=current.pk).update(**{COUNTER[value]: F(COUNTER[value]) + 1})
            mark_dirty(opinion_map.pk)
            return vote
    before = Choice(existing.value)
    existing.value, existing.cast_at = value, now
    existing.save(update_fields=["value", "cast_at"])
    if before != value:
        Statement.objects.filter(pk=current.pk).update(
            **{COUNTER[value]: F(COUNTER[value]) + 1, COUNTER[before]: F(COUNTER[before]) - 1}
        )
        mark_dirty(opinion_map.pk)
    return existing


@transaction.atomic
def statement_submit(
    *, opinion_map: OpinionMap, text: str, participant_key: str, person: Any = None, network: str = ""
) -> Statement:
    """A participant's own statement; others see it once a moderator accepts it."""
    current = _locked(opinion_map)
    _open_for_public(current)
    if not current.participants_may_submit:
        raise ValidationError({"text": _("This map is not taking new statements.")})
    participant = _participant(current, key=participant_key, person=person, network=network)
    statement = _new_statement(
        current,
        text=text,
        field="text",
        origin=StatementOrigin.PARTICIPANT,
        status=StatementStatus.PENDING,
        author=participant,
    )
    audit_record(
        actor=person, action="statement.submit", obj=statement, changes={"text": [None, statement.text]}
    )
    return statement


@transaction.atomic
def opinion_map_recompute(*, actor: Any, opinion_map: OpinionMap) -> None:
    """A moderator asks for a computation now (after moderation, or if a scheduled one was lost)."""
    current = _moderated(actor, opinion_map)
    if not mark_dirty(current.pk):
        from dalun.opinions.tasks import schedule_recompute

        transaction.on_commit(lambda: schedule_recompute(current.pk))
    audit_record(actor=actor, action="opinion_map.recompute", obj=current)


@transaction.atomic
def votes_load(*, actor: Any, opinion_map: OpinionMap, votes: Iterable[tuple[str, int, int]]) -> int:
    """Votes loaded in bulk by the platform itself (demo data, migrations from another tool): (participant
    key, statement column, value) rows, oldest first, of participants new to the map; the public votes
    through :func:`vote_cast`. Returns how many votes were stored (the last one of each pair)."""
    if not policy.is_system(actor):
        raise PermissionDenied("votes.load")
    current = _locked(opinion_map)
    final: dict[tuple[str, int], int] = {}
    for key, column, value in votes:
        if value not in Choice.values:
            raise ValidationError({"value": _("Choose agree, disagree or pass.")})
        final[(key, column)] = value
    keys = list(dict.fromkeys(key for key, _column in final))
    if Participant.objects.filter(opinion_map=current, key__in=keys).exists():
        raise ValidationError(_("Bulk votes are only for participants new to the map."))
    statements = {s.column: s for s in Statement.objects.filter(opinion_map=current).only("pk", "column")}
    unknown = {column for _key, column in final} - set(statements)
    if unknown:
        raise ValidationError(
            {"statement": _("No statement has the column %(column)s.") % {"column": min(unknown)}}
        )
    first_row = current.n_participants
    rows = {key: first_row + offset for offset, key in enumerate(keys)}
    now = timezone.now()
    Participant.objects.bulk_create(
        (Participant(opinion_map=current, row=rows[key], key=key[:64], created_at=now) for key in keys),
        batch_size=5000,
    )
    OpinionMap.objects.filter(pk=current.pk).update(n_participants=first_row + len(keys))
    participant_pk = dict(
        Participant.objects.filter(opinion_map=current, row__gte=first_row).values_list("row", "pk")
    )
    Vote.objects.bulk_create(
        (
            Vote(
                opinion_map=current,
                participant_id=participant_pk[rows[key]],
                statement_id=statements[column].pk,
                row=rows[key],
                column=column,
                value=value,
                cast_at=now,
            )
            for (key, column), value in final.items()
        ),
        batch_size=5000,
    )
    tally = Counter((column, value) for (_key, column), value in final.items())
    for column in {column for _key, column in final}:
        Statement.objects.filter(pk=statements[column].pk).update(
            agree_count=F("agree_count") + tally[column, Choice.AGREE],
            disagree_count=F("disagree_count") + tally[column, Choice.DISAGREE],
            pass_count=F("pass_count") + tally[column, Choice.PASS],
        )
    audit_record(
        actor=actor,
        action="opinion_map.votes_load",
        obj=current,
        changes={"participants": [None, len(keys)], "votes": [None, len(final)]},
    )
    mark_dirty(current.pk)
    return len(final)
