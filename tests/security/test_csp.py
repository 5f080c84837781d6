"""Content-Security-Policy: every page says scripts and styles come from our own origin only, and no
template carries what that policy would block (inline scripts, inline styles, event-handler attributes)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src" / "dalun"
PUBLIC_PAGES = [
    "/",
    "/portal/",
    "/portal/suggestions/",
    "/units/",
    "/accounts/login/",
    "/api/docs",
    "/no-such/",
]
STAFF_PAGES = ["/units/import/", "/calendar/?year=2031", "/opinions/"]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict(response) -> None:  # type: ignore[no-untyped-def]
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.wsgi_request.path}"
    policy = directives(header)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header


class InlineFinder(HTMLParser):
    """Collects what a strict policy refuses: <script> without src (data blocks are fine), <style>,
    style="..." and on...="..." attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f'{tag} {name}="{value}"')
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f'{tag} {name}="{value}"')


def inline_code(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_a_strict_policy_and_carry_no_inline_code(client, campaign, path):
    response = client.get(path)
    assert response.status_code in {200, 404}
    assert_strict(response)
    assert inline_code(response.content.decode()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_send_a_strict_policy_and_carry_no_inline_code(client_as, campaign, path):
    response = client_as("office").get(path)
    assert response.status_code == 200
    assert_strict(response)
    assert inline_code(response.content.decode()) == []


def test_no_template_holds_inline_scripts_styles_or_handlers():
    """Every template of every app, whether a test renders it or not (a JSON data block is allowed)."""
    offenders = {}
    for template in sorted(SRC.rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        found = inline_code(re.sub(r"{[{%#].*?[%}#]}", "x", text, flags=re.S))
        if found:
            offenders[str(template.relative_to(SRC))] = found
    assert offenders == {}


def test_the_finder_sees_what_the_policy_blocks():
    html = (
        '<script>x()</script><style>p{}</style><p style="color:red" onclick="x()"><a href="javascript:x()">'
    )
    assert len(inline_code(html)) == 5
    assert (
        inline_code('<script src="/static/a.js"></script><script type="application/json">{}</script>') == []
    )
