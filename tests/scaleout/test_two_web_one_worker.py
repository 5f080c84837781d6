"""Two stateless web processes and one worker share everything through PostgreSQL and Redis: a session
started on A is valid on B, a rate limit exhausted on A holds on B, and a task started by a page on A is
run by the worker and its result shown by B."""

from __future__ import annotations

import re
import time
from typing import Any

import requests

from dalun.demo.personas import PERSONAS

Cluster = Any  # tests/scaleout/conftest.py's Cluster: the processes' URLs, environment and logs

OFFICE = next(p for p in PERSONAS if p.username == "office")


def csrf(cluster: Cluster, url: str, path: str, cookies: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The form's CSRF token and the cookies to send with the POST (the CSRF cookie is Secure, so it is
    passed by hand: these requests reach the app in plain HTTP, as from the proxy)."""
    page = requests.get(url + path, headers=cluster.headers(), cookies=cookies, timeout=10)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    return token.group(1), {**cookies, **page.cookies.get_dict()}


def sign_in(cluster: Cluster, url: str, password: str, client: str) -> requests.Response:
    token, cookies = csrf(cluster, url, "/accounts/login/", {})
    return requests.post(
        url + "/accounts/login/",
        data={"username": OFFICE.username, "password": password, "csrfmiddlewaretoken": token},
        headers=cluster.headers(client, Origin="https://" + url.split("://")[1]),
        cookies=cookies,
        allow_redirects=False,
        timeout=10,
    )


def test_a_session_started_on_one_process_is_valid_on_the_other(cluster):
    a, b = cluster.web
    signed_in = sign_in(cluster, a, cluster.password, "198.51.100.1")
    assert signed_in.status_code == 302, signed_in.text[:500]
    session = signed_in.cookies.get("sessionid")
    assert session
    set_cookie = signed_in.headers["Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie
    # B knows the session A created: the import page needs a signed-in office.
    on_b = requests.get(
        b + "/units/import/", headers=cluster.headers(), cookies={"sessionid": session}, allow_redirects=False
    )
    assert on_b.status_code == 200
    assert OFFICE.display_name in on_b.text
    anonymous = requests.get(b + "/units/import/", headers=cluster.headers(), allow_redirects=False)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.headers["Location"]


def test_a_rate_limit_exhausted_on_one_process_holds_on_the_other(cluster):
    a, b = cluster.web
    client = "198.51.100.2"
    for _ in range(5):  # DALUN_API_READ_LIMIT=5
        assert requests.get(a + "/api/suggestions", headers=cluster.headers(client)).status_code == 200
    flooded = requests.get(b + "/api/suggestions", headers=cluster.headers(client))
    assert flooded.status_code == 429
    assert 0 < int(flooded.headers["Retry-After"]) <= 300
    assert flooded.json()["error"]["code"] == "rate_limited"
    # The limit is per client: another address behind the same proxy still reads.
    assert requests.get(b + "/api/suggestions", headers=cluster.headers("198.51.100.3")).status_code == 200


def test_a_login_lockout_on_one_process_holds_on_the_other(cluster):
    a, b = cluster.web
    client = "198.51.100.4"
    for _ in range(2):
        assert sign_in(cluster, a, "wrong password", client).status_code == 200
    assert sign_in(cluster, a, "wrong password", client).status_code == 429  # DALUN_LOGIN_FAILURE_LIMIT=3
    locked = sign_in(cluster, b, cluster.password, client)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "Sign-in paused" in locked.text
    assert sign_in(cluster, b, cluster.password, "198.51.100.5").status_code == 302


def test_a_task_started_on_one_process_is_run_by_the_worker_and_seen_on_the_other(cluster):
    a, b = cluster.web
    session = sign_in(cluster, a, cluster.password, "198.51.100.6").cookies["sessionid"]
    token, cookies = csrf(cluster, a, "/units/import/", {"sessionid": session})
    csv = "code,name,parent_code,kind,name_en\n149901,扩容测试局,14,department,Scale-out Test Bureau\n"
    started = requests.post(
        a + "/units/import/",
        data={"encoding": "utf-8", "csrfmiddlewaretoken": token},
        files={"file": ("units.csv", csv.encode(), "text/csv")},
        headers=cluster.headers("198.51.100.6", Origin="https://" + a.split("://")[1]),
        cookies=cookies,
        allow_redirects=False,
    )
    assert started.status_code == 302, started.text[:1000]
    job_path = started.headers["Location"]
    assert re.fullmatch(r"/units/import/\d+/", job_path)

    deadline, page = time.monotonic() + 20, ""
    while time.monotonic() < deadline:
        page = requests.get(b + job_path, headers=cluster.headers(), cookies={"sessionid": session}).text
        if "1 unit imported." in page or "refused" in page:
            break
        time.sleep(0.2)
    assert "1 unit imported." in page, page[-2000:] + cluster.log("worker")[-2000:]
    # The worker ran it (the web processes only queued it), and B serves the new unit.
    assert "import_units" in cluster.log("worker")
    found = requests.get(b + "/api/units", params={"q": "149901"}, headers=cluster.headers()).json()
    assert [unit["name_en"] for unit in found["items"]] == ["Scale-out Test Bureau"]
