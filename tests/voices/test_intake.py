"""A suggestion's intake after its submission: routing proposals stored and moderators told, once, by a task
that the dispatcher enqueues for suggestions pending in the database (and again when a task was lost)."""

import datetime

import pytest
from django.utils import timezone

from dalun.audit.models import AuditEntry
from dalun.org.models import Person
from dalun.voices import services, tasks
from dalun.voices.models import Notification, Suggestion

pytestmark = pytest.mark.django_db

MODERATOR_MAIL = "moderator@example.cn"


@pytest.fixture
def moderator(persona):
    Person.objects.filter(username="moderator").update(email=MODERATOR_MAIL)
    return persona("moderator")


def notices(person):
    return Notification.objects.filter(recipient=person).count()


def test_the_submission_leaves_intake_pending_and_the_task_after_commit_completes_it(
    submit, moderator, unit, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        suggestion = submit(concerns_unit=unit("140105"))
    # Committed but not yet taken in: nobody told, no proposals, marked pending in the database.
    pending = Suggestion.objects.get(pk=suggestion.pk)
    assert pending.intake_done_at is None and pending.routing_proposals == []
    assert notices(moderator) == 0 and len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()  # the task the commit enqueues (the immediate backend runs it at once)
    done = Suggestion.objects.get(pk=suggestion.pk)
    assert done.intake_done_at is not None
    assert done.routing_proposals[0] == [unit("140105").pk, 1.0]  # the unit the submitter named comes first
    assert notices(moderator) == 1
    assert [message.to for message in mailoutbox] == [[MODERATOR_MAIL]]
    assert AuditEntry.objects.filter(action="suggestion.intake", object_id=str(suggestion.pk)).count() == 1


def test_intake_run_twice_notifies_once(submit, moderator, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=False):
        suggestion = submit()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.suggestion_intake(suggestion_id=suggestion.pk) is True
    with django_capture_on_commit_callbacks(execute=True):
        assert services.suggestion_intake(suggestion_id=suggestion.pk) is False
        tasks.suggestion_intake.enqueue([suggestion.pk])  # a twin task, as a second dispatch might enqueue
    assert notices(moderator) == 1 and len(mailoutbox) == 1
    assert AuditEntry.objects.filter(action="suggestion.intake").count() == 1


def test_the_dispatcher_runs_the_intake_of_pending_suggestions_and_only_theirs(
    submit, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the process died before enqueueing
        stranded, other = submit(), submit(title="另一条建议")
    with django_capture_on_commit_callbacks(execute=True):
        services.suggestion_intake(suggestion_id=other.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_pending_intake() == 1
    assert Suggestion.objects.get(pk=stranded.pk).intake_done_at is not None
    assert notices(moderator) == 2  # one per suggestion
    assert tasks.dispatch_pending_intake() == 0


def test_a_suggestion_already_moderated_gets_proposals_but_no_notice(
    submit, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        suggestion = submit()
    services.suggestion_publish(actor=moderator, suggestion=suggestion)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.suggestion_intake(suggestion_id=suggestion.pk)
    assert notices(moderator) == 0
    assert Suggestion.objects.get(pk=suggestion.pk).intake_done_at is not None


def test_proposals_learn_from_earlier_routing(submit, moderator, unit, django_capture_on_commit_callbacks):
    for text in ("小店区政务服务中心排队太久", "小店区办事窗口少", "小店区窗口服务态度差"):
        earlier = submit(title=text, text=text)
        services.suggestion_publish(actor=moderator, suggestion=earlier)
        services.suggestion_route(actor=moderator, suggestion=earlier, unit=unit("140105"))
    from dalun.voices.selectors import routing_learned

    routing_learned(earlier.campaign)  # done on commit by the service; the test's transaction never commits
    with django_capture_on_commit_callbacks(execute=True):
        new = submit(title="政务服务中心排队时间太长", text="窗口太少，排队太久")
    proposals = Suggestion.objects.get(pk=new.pk).routing_proposals
    assert proposals and proposals[0][0] == unit("140105").pk and 0 < proposals[0][1] <= 1


def test_with_the_database_queue_the_submission_writes_no_task_and_the_dispatcher_enqueues_it(
    submit, moderator, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    first, second = submit(), submit(title="另一条建议")
    assert not DBTaskResult.objects.exists()  # the public's write is the suggestion alone
    now = timezone.now()
    assert tasks.dispatch_pending_intake(now=now) == 2
    (queued,) = DBTaskResult.objects.all()  # one task per batch
    assert queued.task_path.endswith("suggestion_intake")
    assert queued.args_kwargs["args"] == [[first.pk, second.pk]]
    assert set(Suggestion.objects.values_list("intake_dispatched_at", flat=True)) == {now}
    assert tasks.dispatch_pending_intake(now=now) == 0  # dispatched already: its task is on its way
    arguments = queued.args_kwargs  # what the worker calls (the worker itself runs in tests/scaleout)
    assert queued.task.call(*arguments["args"], **arguments["kwargs"]) == 2
    assert notices(moderator) == 2 and not Suggestion.objects.filter(intake_done_at__isnull=True).exists()
    entries = AuditEntry.objects.filter(object_type="voices.suggestion", object_id=str(first.pk))
    assert [entry.action for entry in entries.order_by("pk")] == ["suggestion.submit", "suggestion.intake"]


def test_an_intake_whose_task_was_lost_is_dispatched_again_after_a_while(submit, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    submit()
    now = timezone.now()
    assert tasks.dispatch_pending_intake(now=now) == 1
    DBTaskResult.objects.all().delete()  # lost with a killed worker
    assert tasks.dispatch_pending_intake(now=now + tasks.REDISPATCH_AFTER / 2) == 0
    assert (
        tasks.dispatch_pending_intake(now=now + tasks.REDISPATCH_AFTER + datetime.timedelta(seconds=1)) == 1
    )
    assert DBTaskResult.objects.count() == 1


def test_the_dispatch_command_enqueues_pending_intake(submit, moderator, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=False):
        suggestion = submit()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("dispatch_intake", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert Suggestion.objects.get(pk=suggestion.pk).intake_done_at is not None and notices(moderator) == 1
