"""Campaign pages: create from a template, see the vocabulary, deploy, see obligations on unit pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dalun.campaigns.models import Campaign

pytestmark = pytest.mark.django_db


def create(client, **extra):
    data = {"template": "big-discussion", "starts_on": "2026-03-02", "owner_unit_code": "14", **extra}
    return client.post("/campaigns/new/", data, HTTP_ACCEPT_LANGUAGE="en")


def test_office_creates_a_campaign_and_sees_its_vocabulary(client_as):
    office = client_as("office")
    response = create(office)
    assert response.status_code == 302
    page = office.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for text in ("改革意识不强", "动员部署", "总结"):
        assert text in page
    assert page.count("<tr>") >= 10 + 4  # key links and phases


def test_uploaded_bad_template_lists_errors_with_lines_and_creates_nothing(client_as):
    bad = b"format: dalun.campaign/1\nkey: mine\nname: {zh-hans: x}\n"
    response = create(client_as("office"), template="", template_file=SimpleUploadedFile("mine.yaml", bad))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="template-errors"' in body and "<td>3</td>" in body
    assert not Campaign.objects.filter(key="mine").exists()


def test_only_the_office_may_open_the_create_page(client_as, client):
    assert client_as("xiaodian_clerk").get("/campaigns/new/").status_code == 403
    assert client_as("changzhi_head").post("/campaigns/new/", {}).status_code == 403
    assert client.get("/campaigns/new/").status_code == 302


def test_deploy_then_unit_page_shows_its_obligations(client_as, unit):
    office = client_as("office")
    create(office)
    response = office.post("/campaigns/big-discussion/deploy/", {"unit_code": "1401"})
    assert response.status_code == 302
    page = office.get(f"/units/{unit('140105').pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "动员部署" in page and "典型案例报告会" in page


def test_deploy_refuses_unknown_units_and_other_roles(client_as):
    office = client_as("office")
    create(office)
    response = office.post(
        "/campaigns/big-discussion/deploy/", {"unit_code": "999999"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200 and "No unit has this code" in response.content.decode()
    assert (
        client_as("changzhi_head")
        .post("/campaigns/big-discussion/deploy/", {"unit_code": "1404"})
        .status_code
        == 403
    )


def test_campaign_page_query_count_is_bounded(client_as, client, django_assert_max_num_queries):
    office = client_as("office")
    create(office)
    office.post("/campaigns/big-discussion/deploy/", {"unit_code": "1401"})
    with django_assert_max_num_queries(14):
        assert client.get("/campaigns/big-discussion/").status_code == 200
