"""Public suggestions from submission to answer: moderation, routing, deadlines, adoption, escalation."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dalun.ledger.models import Problem
from dalun.voices import services
from dalun.voices.choices import Handling, Moderation
from dalun.voices.models import Notification, Suggestion

pytestmark = pytest.mark.django_db


def test_submission_gets_a_receipt_and_encrypted_contact(submit, persona, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the moderators are told by a task after commit
        suggestion = submit(contact="citizen@example.cn")
    assert len(suggestion.receipt_code) == 14 and suggestion.moderation == Moderation.PENDING
    assert b"citizen@example.cn" not in bytes(suggestion.contact_encrypted)
    assert services.contact_of(actor=persona("moderator"), suggestion=suggestion) == "citizen@example.cn"
    with pytest.raises(PermissionDenied):
        services.contact_of(actor=persona("xiaodian_clerk"), suggestion=suggestion)
    assert Notification.objects.filter(recipient=persona("moderator")).exists()


@pytest.mark.parametrize(
    ("title", "text", "field"),
    [
        ("", "内容", "title"),
        ("标题", "   ", "text"),
        ("标题", "长" * 5001, "text"),
        ("x" * 121, "内容", "title"),
    ],
)
def test_bad_submissions_name_the_field_and_save_nothing(submit, title, text, field):
    with pytest.raises(ValidationError) as refused:
        submit(title=title, text=text)
    assert field in refused.value.message_dict
    assert not Suggestion.objects.exists()


def test_html_is_kept_as_text_and_control_characters_dropped(submit):
    suggestion = submit(title="<script>alert(1)</script>\x00标题", text="<b>粗体</b>\x07")
    assert suggestion.title == "<script>alert(1)</script>标题" and suggestion.text == "<b>粗体</b>"


def test_moderation_publish_route_answer_adopt_into_the_ledger(
    submit, persona, unit, campaign, django_capture_on_commit_callbacks, mailoutbox
):
    suggestion = submit(contact="citizen@example.cn")
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    routed = services.suggestion_route(actor=persona("moderator"), suggestion=suggestion, unit=unit("140105"))
    assert routed.handling == Handling.ROUTED and routed.due_on > timezone.localdate()
    assert Notification.objects.filter(recipient=persona("xiaodian_clerk")).exists()
    with pytest.raises(PermissionDenied):
        services.suggestion_answer(
            actor=persona("yingze_clerk"), suggestion=routed, text="x", adoption="adopted"
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = services.suggestion_answer(
            actor=persona("xiaodian_clerk"),
            suggestion=routed,
            text="已采纳，下月起周六开放。",
            adoption="adopted",
            to_ledger=campaign.categories.get(key="work_style"),
        )
    assert response.problem.source == "public" and response.problem.unit == unit("140105")
    assert Problem.objects.get(pk=response.problem.pk).from_suggestions.get() == response
    assert any("citizen@example.cn" in message.to for message in mailoutbox)


def test_not_adopted_needs_a_reason(submit, persona, unit):
    suggestion = submit()
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    services.suggestion_route(actor=persona("moderator"), suggestion=suggestion, unit=unit("140105"))
    with pytest.raises(ValidationError):
        services.suggestion_answer(
            actor=persona("xiaodian_clerk"), suggestion=suggestion, text="谢谢", adoption="not_adopted"
        )


def test_reject_spam_and_merge(submit, persona):
    first, second, third = submit(), submit(title="周末也要能办事"), submit(title="广告")
    moderator = persona("moderator")
    services.suggestion_publish(actor=moderator, suggestion=first)
    services.suggestion_merge(actor=moderator, suggestion=second, into=first)
    services.suggestion_reject(actor=moderator, suggestion=third, reason="", spam=True)
    first.refresh_from_db()
    assert first.support_count == 1 and Suggestion.objects.get(pk=second.pk).merged_into == first
    with pytest.raises(ValidationError):
        services.suggestion_reject(actor=moderator, suggestion=submit(), reason="")
    with pytest.raises(PermissionDenied):
        services.suggestion_publish(actor=persona("xiaodian_clerk"), suggestion=submit())


def test_passing_on_keeps_the_deadline_and_records_the_reason(submit, persona, unit):
    suggestion = submit()
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    routed = services.suggestion_route(actor=persona("moderator"), suggestion=suggestion, unit=unit("140105"))
    moved = services.suggestion_pass_on(
        actor=persona("xiaodian_clerk"), suggestion=routed, unit=unit("140106"), reason="该事项属迎泽区管辖"
    )
    assert moved.routed_unit == unit("140106") and moved.due_on == routed.due_on
    assert list(moved.transfers.values_list("reason", flat=True)) == ["", "该事项属迎泽区管辖"]


def test_overdue_suggestions_escalate_to_the_parent(submit, persona, unit):
    suggestion = submit()
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    routed = services.suggestion_route(actor=persona("moderator"), suggestion=suggestion, unit=unit("140105"))
    assert services.suggestions_escalate(today=routed.due_on) == 0
    assert services.suggestions_escalate(today=routed.due_on + datetime.timedelta(days=1)) == 1
    routed.refresh_from_db()
    assert routed.escalated_to == unit("1401")


def test_support_once_per_participant_and_rating_once(submit, persona, unit):
    suggestion = submit()
    services.suggestion_publish(actor=persona("moderator"), suggestion=suggestion)
    assert services.suggestion_support(suggestion=suggestion, participant="p1", network="n")
    assert not services.suggestion_support(suggestion=suggestion, participant="p1", network="n")
    suggestion.refresh_from_db()
    assert suggestion.support_count == 1
    with pytest.raises(ValidationError):
        services.suggestion_rate(suggestion=suggestion, rating="satisfied")
    services.suggestion_route(actor=persona("moderator"), suggestion=suggestion, unit=unit("140105"))
    services.suggestion_answer(
        actor=persona("xiaodian_clerk"), suggestion=suggestion, text="已办理", adoption="adopted"
    )
    suggestion.refresh_from_db()
    services.suggestion_rate(suggestion=suggestion, rating="satisfied", comment="很好")
    with pytest.raises(ValidationError):
        services.suggestion_rate(suggestion=suggestion, rating="not_satisfied")


def test_the_queue_proposes_units_learned_from_routing_and_shows_near_duplicates(submit, persona, unit):
    moderator = persona("moderator")
    for text in ("小店区政务服务中心排队太久", "小店区办事窗口少", "小店区窗口服务态度差"):
        earlier = submit(title=text, text=text)
        services.suggestion_publish(actor=moderator, suggestion=earlier)
        services.suggestion_route(actor=moderator, suggestion=earlier, unit=unit("140105"))
    submit(title="政务服务中心排队时间太长", text="窗口太少，排队太久")
    from dalun.voices.selectors import moderation_queue, routing_learned

    routing_learned(earlier.campaign)  # done on commit by the service; the test's transaction never commits
    item = next(i for i in moderation_queue(actor=moderator) if i.suggestion.moderation == Moderation.PENDING)
    assert item.proposals and item.proposals[0][0] == unit("140105")
    assert item.similar and item.similar[0][0].title.startswith("小店区")
