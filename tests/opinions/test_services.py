"""Opinion maps: opening a map, seeding and promoting statements, moderation, votes and who may do what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from dalun.audit.models import AuditEntry
from dalun.opinions import services
from dalun.opinions.choices import MapStatus, StatementOrigin, StatementStatus
from dalun.opinions.models import OpinionMap, Participant, Statement, Vote
from dalun.org.choices import Role
from dalun.org.policy import SYSTEM
from dalun.org.services import role_assign
from dalun.voices import services as voice_services

from .conftest import STATEMENTS

pytestmark = pytest.mark.django_db


def first(opinion_map: OpinionMap, column: int = 0) -> Statement:
    return Statement.objects.get(opinion_map=opinion_map, column=column)


def vote(opinion_map, statement, value, key="cookie-a", **extra):  # type: ignore[no-untyped-def]
    return services.vote_cast(
        opinion_map=opinion_map, statement=statement, value=value, participant_key=key, **extra
    )


def test_a_map_opens_with_seeded_statements_in_stable_columns(draft_map):
    statements = list(draft_map.statements.order_by("column"))
    assert [s.text for s in statements] == STATEMENTS
    assert [s.column for s in statements] == list(range(len(STATEMENTS)))
    assert {s.status for s in statements} == {StatementStatus.ACCEPTED}
    assert {s.origin for s in statements} == {StatementOrigin.SEED}
    assert OpinionMap.objects.get(pk=draft_map.pk).n_statements == len(STATEMENTS)
    assert draft_map.status == MapStatus.DRAFT
    assert AuditEntry.objects.filter(action="opinion_map.create", object_id=str(draft_map.pk)).exists()


def test_a_map_without_accepted_statements_cannot_open(campaign, persona):
    empty = services.opinion_map_create(actor=persona("moderator"), campaign=campaign, question="空的问题？")
    with pytest.raises(ValidationError) as refused:
        services.opinion_map_update(actor=persona("moderator"), opinion_map=empty, status=MapStatus.OPEN)
    assert "status" in refused.value.message_dict


def test_a_map_may_concern_a_unit_and_a_breakthrough_of_its_campaign(campaign, persona, unit):
    breakthrough = campaign.breakthroughs.first()
    made = services.opinion_map_create(
        actor=persona("moderator"),
        campaign=campaign,
        question="小店区营商环境怎么样？",
        unit=unit("140105"),
        breakthrough=breakthrough,
    )
    assert made.scope_unit == unit("140105") and made.breakthrough == breakthrough


def test_duplicate_and_oversized_statements_name_the_line(draft_map, persona):
    with pytest.raises(ValidationError) as refused:
        services.statements_seed(
            actor=persona("moderator"),
            opinion_map=draft_map,
            texts=["新的观点", "政务服务中心应当周末开放！"],
        )
    assert "2" in refused.value.message_dict["statements"][0]
    with pytest.raises(ValidationError):
        services.statements_seed(actor=persona("moderator"), opinion_map=draft_map, texts=["长" * 201])


def test_a_later_vote_replaces_the_earlier_one_and_counts_follow(opinion_map):
    statement = first(opinion_map)
    vote(opinion_map, statement, 1)
    vote(opinion_map, statement, -1)
    vote(opinion_map, statement, -1)
    only = Vote.objects.get(statement=statement)
    assert only.value == -1 and only.row == 0 and only.column == 0
    statement.refresh_from_db()
    assert (statement.agree_count, statement.disagree_count, statement.pass_count) == (0, 1, 0)
    vote(opinion_map, statement, 0, key="cookie-b")
    statement.refresh_from_db()
    assert statement.seen_count == 2
    assert list(Participant.objects.filter(opinion_map=opinion_map).values_list("key", "row")) == [
        ("cookie-a", 0),
        ("cookie-b", 1),
    ]


def test_a_signed_in_person_votes_as_their_account(opinion_map, persona):
    person = persona("xiaodian_clerk")
    vote(opinion_map, first(opinion_map), 1, key=services.person_key(person), person=person)
    assert Participant.objects.get(opinion_map=opinion_map).person == person


def test_votes_are_refused_on_a_draft_map_a_pending_statement_or_a_bad_value(draft_map, opinion_map, persona):
    with pytest.raises(ValidationError):
        vote(draft_map, first(draft_map), 1)
    pending = services.statement_submit(
        opinion_map=opinion_map, text="希望开通企业诉求热线", participant_key="x"
    )
    with pytest.raises(ValidationError):
        vote(opinion_map, pending, 1)
    with pytest.raises(ValidationError):
        vote(opinion_map, first(opinion_map), 2)
    assert not Vote.objects.exists()


def test_votes_are_refused_outside_the_phases_that_take_them(opinion_map):
    opinion_map.campaign.phases.update(allows=[])
    with pytest.raises(ValidationError):
        vote(opinion_map, first(opinion_map), 1)


def test_participants_statements_wait_for_moderation(opinion_map, persona):
    statement = services.statement_submit(
        opinion_map=opinion_map, text="  希望开通企业诉求热线\x00 ", participant_key="c1"
    )
    assert statement.status == StatementStatus.PENDING and statement.text == "希望开通企业诉求热线"
    assert statement.author.key == "c1" and statement.column == len(STATEMENTS)
    with pytest.raises(ValidationError):  # the same statement again
        services.statement_submit(
            opinion_map=opinion_map, text="希望开通企业诉求热线。", participant_key="c2"
        )
    services.opinion_map_update(
        actor=persona("moderator"), opinion_map=opinion_map, participants_may_submit=False
    )
    with pytest.raises(ValidationError):
        services.statement_submit(opinion_map=opinion_map, text="另一个观点", participant_key="c1")


def test_moderation_accepts_rejects_and_marks_meta(opinion_map, persona):
    moderator = persona("moderator")
    statement = services.statement_submit(
        opinion_map=opinion_map, text="希望开通企业诉求热线", participant_key="c1"
    )
    accepted = services.statement_moderate(actor=moderator, statement=statement, decision="accept")
    assert accepted.status == StatementStatus.ACCEPTED and accepted.moderated_by == moderator
    meta = services.statement_moderate(actor=moderator, statement=statement, decision="meta")
    assert meta.status == StatementStatus.ACCEPTED and meta.is_meta
    rejected = services.statement_moderate(actor=moderator, statement=statement, decision="reject")
    assert rejected.status == StatementStatus.REJECTED and not rejected.is_meta
    actions = list(
        AuditEntry.objects.filter(object_type="opinions.statement", object_id=str(statement.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"statement.submit", "statement.accept", "statement.meta", "statement.reject"} <= set(actions)
    with pytest.raises(ValidationError):
        services.statement_moderate(actor=moderator, statement=statement, decision="delete")


def test_published_suggestions_are_promoted_once(opinion_map, persona, campaign):
    moderator = persona("moderator")
    suggestion = voice_services.suggestion_submit(
        campaign=campaign, title="企业开办一日办结", text="新办企业要跑多个窗口，建议一网通办、一日办结。"
    )
    with pytest.raises(ValidationError):  # not yet published
        services.statement_promote(actor=moderator, opinion_map=opinion_map, suggestion=suggestion)
    voice_services.suggestion_publish(actor=moderator, suggestion=suggestion)
    statement = services.statement_promote(actor=moderator, opinion_map=opinion_map, suggestion=suggestion)
    assert statement.text == "企业开办一日办结" and statement.suggestion == suggestion
    assert statement.status == StatementStatus.ACCEPTED and statement.origin == StatementOrigin.SUGGESTION
    with pytest.raises(ValidationError):
        services.statement_promote(
            actor=moderator, opinion_map=opinion_map, suggestion=suggestion, text="另一种说法"
        )


ALLOWED, DENIED = True, False


@pytest.mark.parametrize(
    ("who", "where", "expected"),
    [
        ("moderator", None, ALLOWED),
        ("office", None, ALLOWED),
        ("xiaodian_clerk", None, DENIED),
        ("xiaodian_head", None, DENIED),
        ("taiyuan_supervisor", None, DENIED),
        ("public", None, DENIED),
        ("yingze_moderator", "140106", ALLOWED),  # a moderator of Yingze, on a map of Yingze
        ("yingze_moderator", "140105", DENIED),  # ... and on a map of its sibling Xiaodian
        ("yingze_moderator", None, DENIED),  # ... and on a map of the whole campaign
    ],
)
def test_permission_matrix_of_moderation(who, where, expected, campaign, persona, unit):  # type: ignore[no-untyped-def]
    if who == "public":
        actor = AnonymousUser()
    elif who == "yingze_moderator":
        actor = persona("yingze_clerk")
        role_assign(actor=SYSTEM, person=actor, role=Role.MODERATOR, unit=unit("140106"))
        actor = persona("yingze_clerk")  # fresh object: role assignments are read once per actor
    else:
        actor = persona(who)
    target = services.opinion_map_create(
        actor=SYSTEM,
        campaign=campaign,
        question="问题",
        unit=unit(where) if where else None,
        statements=["观点一"],
    )
    target = services.opinion_map_update(actor=SYSTEM, opinion_map=target, status=MapStatus.OPEN)
    # Voting and writing statements need no permission, only an open map.
    vote(target, first(target), 1, key="public-1")
    pending = services.statement_submit(opinion_map=target, text="观点二", participant_key="c")
    attempts = {
        "create": lambda: services.opinion_map_create(
            actor=actor, campaign=campaign, question="新问题", unit=unit(where) if where else None
        ),
        "seed": lambda: services.statements_seed(actor=actor, opinion_map=target, texts=["观点三"]),
        "moderate": lambda: services.statement_moderate(actor=actor, statement=pending, decision="accept"),
        "close": lambda: services.opinion_map_update(
            actor=actor, opinion_map=target, status=MapStatus.CLOSED
        ),
        "recompute": lambda: services.opinion_map_recompute(actor=actor, opinion_map=target),
    }
    for name, attempt in attempts.items():
        if expected:
            attempt()
        else:
            with pytest.raises(PermissionDenied):
                attempt()
            assert name  # every attempt was refused


def test_bulk_votes_are_for_the_platform_only(opinion_map, persona):
    with pytest.raises(PermissionDenied):
        services.votes_load(actor=persona("moderator"), opinion_map=opinion_map, votes=[("k", 0, 1)])
    assert services.votes_load(actor=SYSTEM, opinion_map=opinion_map, votes=[("k", 0, 1), ("k", 0, -1)]) == 1
    assert first(opinion_map).disagree_count == 1
