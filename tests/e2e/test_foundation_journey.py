"""A county clerk signs in, finds a unit by its Chinese name, opens it, switches language and signs out."""

import pytest

from dalun.demo.personas import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


def test_clerk_finds_a_unit_switches_language_and_signs_out(page, shot):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", "xiaodian_clerk")
    page.fill("input[name=password]", DEMO_PASSWORD)
    shot(page, "1-login")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=刘芳")
    assert page.locator(".roles").inner_text().count("联络员") == 1

    page.click("nav.mainnav >> text=组织架构")
    page.fill("#unit-search", "坞城")
    result = page.locator("#search-results a", has_text="坞城街道")
    result.wait_for()
    shot(page, "2-search")
    result.click()
    page.wait_for_selector("h1:has-text('坞城街道')")
    assert "小店区" in page.locator(".breadcrumbs").inner_text()
    assert "140105001" in page.locator(".facts").inner_text()
    shot(page, "3-unit")

    page.click("button[data-lang=en]")
    page.wait_for_selector("h1:has-text('Wucheng Subdistrict')")
    assert "Official code" in page.locator(".facts").inner_text()
    shot(page, "4-english")

    page.click("text=Sign out")
    page.wait_for_selector("text=Sign in")
    assert page.locator(".who").count() == 0
    shot(page, "5-signed-out")


def test_tree_expands_and_collapses(page, shot):
    page.goto(page.base_url + "/units/")
    province = page.locator("details[data-unit='14']")
    province.locator("summary").first.click()
    page.wait_for_selector("details[data-unit='1401']")
    page.locator("details[data-unit='1401'] > summary").click()
    page.wait_for_selector("details[data-unit='140105']")
    shot(page, "expanded")
    page.locator("details[data-unit='1401'] > summary").click()
    assert not page.locator("details[data-unit='140105']").is_visible()
