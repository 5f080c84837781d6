"""A suggestion's intake after its submission: routing proposals stored and moderators told, once, by a task
after commit; a sweeper finds suggestions whose task was lost and runs their intake again."""

import datetime

import pytest
from django.db import transaction
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
        tasks.suggestion_intake.enqueue(suggestion.pk)  # a twin task, as a sweep might enqueue
    assert notices(moderator) == 1 and len(mailoutbox) == 1
    assert AuditEntry.objects.filter(action="suggestion.intake").count() == 1


def test_the_sweeper_runs_the_intake_of_stranded_suggestions_and_only_theirs(
    submit, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the process died before enqueueing
        stranded, other = submit(), submit(title="另一条建议")
    with django_capture_on_commit_callbacks(execute=True):
        services.suggestion_intake(suggestion_id=other.pk)
    now = timezone.now()
    # Too young: its own task may still be on its way.
    assert tasks.pending_intake(now=now) == []
    later = now + tasks.GRACE + datetime.timedelta(seconds=1)
    assert tasks.pending_intake(now=later) == [stranded.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_pending_intake(now=later) == 1
    assert Suggestion.objects.get(pk=stranded.pk).intake_done_at is not None
    assert notices(moderator) == 2  # one per suggestion
    assert tasks.sweep_pending_intake(now=later) == 0


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


def test_with_the_database_queue_the_task_commits_with_the_suggestion_or_not_at_all(submit, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    suggestion = submit()
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("suggestion_intake") and queued.args_kwargs["args"] == [suggestion.pk]
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(title="回滚的建议")
        raise RuntimeError("the request failed after the insert")
    assert DBTaskResult.objects.count() == 1 and Suggestion.objects.count() == 1


def test_the_sweep_command_enqueues_stranded_intake(submit, moderator, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=False):
        suggestion = submit()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_intake", "--older-than", "0", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert Suggestion.objects.get(pk=suggestion.pk).intake_done_at is not None and notices(moderator) == 1


def test_the_task_row_a_submission_writes_is_the_queues_own_and_the_worker_runs_it(
    submit, moderator, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    suggestion = submit()  # on PostgreSQL written in the suggestion's own statement, else by enqueue()
    written = DBTaskResult.objects.get()
    enqueued = DBTaskResult.objects.get(pk=tasks.suggestion_intake.enqueue(suggestion.pk).id)
    same = ["status", "args_kwargs", "priority", "task_path", "worker_ids", "queue_name", "backend_name"]
    same += ["run_after", "return_value", "exception_class_path", "traceback", "started_at", "finished_at"]
    assert {name: getattr(written, name) for name in same} == {name: getattr(enqueued, name) for name in same}
    arguments = written.args_kwargs  # what the worker calls (the worker itself runs in tests/scaleout)
    written.task.call(*arguments["args"], **arguments["kwargs"])
    assert Suggestion.objects.get(pk=suggestion.pk).intake_done_at is not None and notices(moderator) == 1
    entries = AuditEntry.objects.filter(object_type="voices.suggestion", object_id=str(suggestion.pk))
    assert [entry.action for entry in entries.order_by("pk")] == ["suggestion.submit", "suggestion.intake"]
