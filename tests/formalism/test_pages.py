"""The alert pages: list by scope and filter, one alert explained side by side, confirm and dismiss forms."""

from django.urls import reverse

from dalun.demo import formalism as demo
from dalun.formalism.models import Alert


def copied_alert():
    return Alert.objects.get(
        unit__code=demo.YINGZE, rule="copied_pair", records__0__ref__startswith="ledger.problem"
    )


def test_list_filters_by_kind_and_shows_only_the_scope(scan, client_as, django_assert_max_num_queries):
    scan()
    client = client_as("taiyuan_supervisor")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("formalism-alerts"), {"kind": "copied"})
    body = page.content.decode()
    assert page.status_code == 200 and "迎泽区" in body and "Problem blamed on others" not in body
    assert "/alerts/" in body
    head = client_as("xiaodian_head").get(reverse("formalism-alerts"), {"status": "all"}).content.decode()
    assert "迎泽区" not in head
    assert client_as("yingze_clerk").get(reverse("formalism-alerts")).status_code == 403


def test_detail_shows_both_texts_with_highlighted_passages(scan, client_as, django_assert_max_num_queries):
    scan()
    alert = copied_alert()
    client = client_as("taiyuan_supervisor")
    with django_assert_max_num_queries(14):
        page = client.get(alert.get_absolute_url())
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count('<mark class="hl-match">') >= 2 and "政务服务中心不动产登记窗口排队时间长" in body
    assert "杏花岭区" in body and "迎泽区" in body and 'id="confirm"' in body and 'id="dismiss"' in body
    # Read-only for the unit's head, hidden outside the scope.
    head = client_as("xiaodian_head").get(alert.get_absolute_url())
    assert head.status_code == 404
    assert client_as("changzhi_head").get(alert.get_absolute_url()).status_code == 404


def test_text_is_escaped(scan, client_as):
    scan()
    alert = copied_alert()
    texts = alert.explanation["texts"]
    texts[1]["text"] = "<script>alert(1)</script>" + texts[1]["text"]
    Alert.objects.filter(pk=alert.pk).update(explanation=alert.explanation)
    body = client_as("taiyuan_supervisor").get(alert.get_absolute_url()).content.decode()
    # The stored offsets no longer fit the text; whatever is cut where, nothing comes out unescaped.
    assert "<script>alert" not in body and "&lt;" in body


def test_dismiss_form_needs_a_reason_and_confirm_form_confirms(scan, client_as):
    scan()
    alert = copied_alert()
    client = client_as("taiyuan_supervisor")
    answer = client.post(reverse("formalism-alert-dismiss", args=[alert.pk]), {"reason": ""}, follow=True)
    assert answer.status_code == 200 and "flash error" in answer.content.decode()
    alert.refresh_from_db()
    assert alert.status == "open"
    answer = client.post(
        reverse("formalism-alert-confirm", args=[alert.pk]),
        {"text": "照抄他区查摆问题", "deadline": ""},
        follow=True,
    )
    assert answer.status_code == 200
    alert.refresh_from_db()
    assert alert.status == "confirmed" and alert.finding_id
    assert (
        client_as("xiaodian_head")
        .post(reverse("formalism-alert-dismiss", args=[alert.pk]), {"reason": "x"})
        .status_code
        == 404
    )


def test_head_cannot_decide_an_alert_about_their_own_unit(scan, client_as):
    scan()
    alert = Alert.objects.filter(unit__code=demo.XIAODIAN).first()
    assert alert is not None
    response = client_as("xiaodian_head").post(
        reverse("formalism-alert-dismiss", args=[alert.pk]), {"reason": "不是"}
    )
    assert response.status_code == 403


def test_menu_entry_for_supervisors_and_heads_only(client_as, campaign):
    assert "/alerts/" in client_as("taiyuan_supervisor").get("/").content.decode()
    assert "/alerts/" in client_as("xiaodian_head").get("/").content.decode()
    assert "/alerts/" not in client_as("yingze_clerk").get("/").content.decode()


def test_neglect_alert_lists_the_units_below_and_their_items(scan, client_as):
    scan()
    alert = Alert.objects.get(unit__code="1401", rule="overdue_measures")
    body = client_as("taiyuan_supervisor").get(alert.get_absolute_url()).content.decode()
    assert "娄烦县 (3)" in body and "娄烦县: 完成全县农村公路安全隐患排查整治" in body
    # A copied-work alert has no overdue rows (a dict's own methods never leak into the page).
    copied = client_as("taiyuan_supervisor").get(copied_alert().get_absolute_url()).content.decode()
    assert "days overdue" not in copied


def test_scan_now_is_for_the_office_of_the_leading_unit(planted, client_as):
    assert "Scan now" not in client_as("taiyuan_supervisor").get(reverse("formalism-alerts")).content.decode()
    assert client_as("taiyuan_supervisor").post(reverse("formalism-scan")).status_code == 403
    office = client_as("office")
    assert office.post(reverse("formalism-scan")).status_code == 302  # tasks run inline in the tests
    assert Alert.objects.filter(rule="copied_pair").count() == 2
