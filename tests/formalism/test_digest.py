"""The daily digest: new alerts in each supervisor's and head's scope, upcoming deadlines, once a day."""

import datetime

from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from dalun.demo import formalism as demo
from dalun.formalism.digest import digest_for, digests_send
from dalun.formalism.models import Alert, DigestSent
from dalun.ledger.models import Measure
from dalun.voices.models import Notification


def test_digest_holds_new_alerts_and_deadlines_of_the_scope(scan, persona, unit):
    scan()
    today = timezone.localdate()
    Measure.objects.filter(action=demo.COPIED_MEASURE).update(deadline=today + datetime.timedelta(days=2))
    since = timezone.now() - datetime.timedelta(hours=1)
    supervisor = digest_for(person=persona("taiyuan_supervisor"), today=today, since=since)
    in_taiyuan = Alert.objects.filter(status="open", unit__path__startswith=unit("1401").path)
    assert len(supervisor.alerts) == in_taiyuan.count() < Alert.objects.filter(status="open").count()
    assert any(demo.COPIED_MEASURE[:20] in what for _due, what, _unit in supervisor.deadlines)
    head = digest_for(person=persona("xiaodian_head"), today=today, since=since)
    assert head.alerts and all(alert.unit.is_within(unit(demo.XIAODIAN)) for alert in head.alerts)
    assert not any(demo.COPIED_MEASURE[:20] in what for _due, what, _unit in head.deadlines)
    later = digest_for(person=persona("taiyuan_supervisor"), today=today, since=timezone.now())
    assert later.alerts == []


def test_digest_goes_out_once_a_day_in_app_and_by_mail(scan, persona):
    scan()
    supervisor = persona("taiyuan_supervisor")
    supervisor.email = "zhaogang@example.cn"
    supervisor.save(update_fields=["email"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = digests_send()
    assert sent >= 2  # the supervisor and Xiaodian's head
    notice = Notification.objects.get(recipient=supervisor)
    record = DigestSent.objects.get(person=supervisor)
    assert notice.url == "/alerts/" and f"{record.alerts} " in notice.text and record.alerts > 0
    assert [message.to for message in mail.outbox] == [["zhaogang@example.cn"]]
    assert "/alerts/" in mail.outbox[0].body
    assert digests_send() == 0  # idempotent per person per day
    assert DigestSent.objects.filter(person=supervisor).count() == 1
    # A head with nothing in scope gets nothing.
    assert not Notification.objects.filter(recipient=persona("changzhi_head")).exists()


def test_digest_command(scan, capsys):
    scan()
    call_command("digest")
    assert "digests sent: " in capsys.readouterr().out
    call_command("digest")
    assert "digests sent: 0" in capsys.readouterr().out
