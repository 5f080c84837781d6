"""Organisation pages: browse, search in any language, a unit's page, editing under the policy."""

import pytest

from dalun.audit.models import AuditEntry
from dalun.org.models import Unit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    ["小店", "xiaodian", "Xiaodian District", "xiao dian", "xiaodianqu", "140105", "ＸＩＡＯＤＩＡＮ"],
)
def test_search_finds_a_unit_by_chinese_english_pinyin_or_code(client, query):
    response = client.get("/units/search/", {"q": query})
    assert response.status_code == 200
    assert "小店区" in response.content.decode()


def test_search_puts_shallow_units_first_and_says_when_nothing_matches(client):
    page = client.get("/units/search/", {"q": "太原"}).content.decode()
    assert page.index("太原市") < page.index("太原理工大学")
    assert (
        "No unit matches"
        in client.get("/units/search/", {"q": "不存在的单位"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_live_search_returns_only_the_results_fragment(client):
    response = client.get("/units/search/", {"q": "迎泽"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "迎泽区" in body and "<html" not in body


def test_tree_shows_roots_and_loads_children_on_demand(client, unit):
    tree = client.get("/units/").content.decode()
    assert "山西省" in tree and f"/units/{unit('14').pk}/children/" in tree
    children = client.get(f"/units/{unit('1401').pk}/children/").content.decode()
    assert "小店区" in children and "迎泽区" in children and "<html" not in children


def test_unit_page_shows_kind_code_parent_chain_children(client, unit):
    body = client.get(f"/units/{unit('140105').pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "区" in body and "140105" in body
    crumbs = body.split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert crumbs.index("山西省") < crumbs.index("太原市") < crumbs.index("小店区")
    assert "坞城街道" in body  # a child


def test_people_are_shown_to_the_subtrees_staff_only(client, client_as, unit):
    url = f"/units/{unit('140105').pk}/"
    assert "刘芳" in client_as("xiaodian_clerk").get(url).content.decode()
    assert "刘芳" in client_as("office").get(url).content.decode()
    assert "刘芳" not in client_as("yingze_clerk").get(url).content.decode()
    assert "刘芳" not in client.get(url).content.decode()


def test_unit_page_query_count_is_bounded(client_as, unit, django_assert_max_num_queries):
    clerk = client_as("xiaodian_clerk")
    with django_assert_max_num_queries(16):
        assert clerk.get(f"/units/{unit('14').pk}/").status_code == 200
    with django_assert_max_num_queries(16):
        assert clerk.get(f"/units/{unit('140105').pk}/").status_code == 200


def test_clerk_cannot_open_another_countys_edit_page(client_as, unit):
    response = client_as("xiaodian_clerk").get(f"/units/{unit('140106').pk}/edit/")
    assert response.status_code == 403
    assert "迎泽区" not in response.content.decode().split("<main>")[1]


def test_the_public_is_sent_to_sign_in_before_editing(client, unit):
    response = client.get(f"/units/{unit('140105').pk}/edit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_clerk_edits_own_unit_and_the_change_is_audited(client_as, unit):
    xiaodian = unit("140105")
    response = client_as("xiaodian_clerk").post(
        f"/units/{xiaodian.pk}/edit/",
        {
            "name": "小店区",
            "name_en": "Xiaodian District of Taiyuan",
            "name_pinyin": "xiao dian qu",
            "kind": "district",
            "code": "140105",
            "version": xiaodian.version,
        },
    )
    assert response.status_code == 302
    xiaodian.refresh_from_db()
    assert xiaodian.name_en == "Xiaodian District of Taiyuan" and xiaodian.version == 2
    entry = AuditEntry.objects.get(action="unit.update", object_id=str(xiaodian.pk))
    assert entry.actor.username == "xiaodian_clerk"
    assert entry.changes == {"name_en": ["Xiaodian District", "Xiaodian District of Taiyuan"]}


def test_second_save_of_the_same_unit_is_refused_and_shows_the_first(client_as, unit):
    xiaodian = unit("140105")
    form = {
        "name": "小店区",
        "name_pinyin": "xiao dian qu",
        "kind": "district",
        "code": "140105",
        "version": xiaodian.version,
    }
    first = client_as("xiaodian_clerk").post(f"/units/{xiaodian.pk}/edit/", {**form, "name_en": "First edit"})
    assert first.status_code == 302
    second = client_as("xiaodian_head").post(
        f"/units/{xiaodian.pk}/edit/", {**form, "name_en": "Second edit"}
    )
    assert second.status_code == 200
    body = second.content.decode()
    assert "First edit" in body and "Second edit" in body  # theirs shown, mine kept in the form
    xiaodian.refresh_from_db()
    assert xiaodian.name_en == "First edit"


def test_bad_edit_input_names_the_field(client_as, unit):
    xiaodian = unit("140105")
    response = client_as("xiaodian_clerk").post(
        f"/units/{xiaodian.pk}/edit/",
        {"name": "", "kind": "galaxy", "code": "140106", "version": xiaodian.version},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"name", "kind", "code"}
    assert Unit.objects.get(pk=xiaodian.pk).version == xiaodian.version


def test_language_follows_the_browser_and_the_switch(client, unit):
    url = f"/units/{unit('140105').pk}/"
    assert "Xiaodian District" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>小店区</h1>" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": url})
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "<h1>Xiaodian District</h1>" in body and "Official code" in body


def test_sign_in_and_out(client):
    from dalun.demo.personas import DEMO_PASSWORD

    response = client.post("/accounts/login/", {"username": "xiaodian_clerk", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "刘芳" in client.get("/").content.decode()
    client.post("/accounts/logout/")
    assert "刘芳" not in client.get("/").content.decode()
    bad = client.post("/accounts/login/", {"username": "xiaodian_clerk", "password": "wrong"})
    assert bad.status_code == 200 and bad.context["form"].errors
