"""Logging in and out, CSRF, the lockout, API tokens revoked, Host and Origin checks, headers."""

from __future__ import annotations

import httpx

from tests.api.conftest import PASSWORD, Api


def test_a_login_opens_a_session_whose_writes_need_its_csrf_token(api: Api) -> None:
    client, answer = api.login("operator")
    assert (303, "/") == (answer.status_code, answer.headers["location"])
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("tw_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    me = client.get("/api/v1/me").json()
    assert ("operator", "user") == (me["role"], me["kind"]) and me["csrf_token"]
    refused = client.post("/api/v1/flows/nothing/pause")
    assert 403 == refused.status_code and "X-CSRF-Token" in refused.json()["detail"]
    wrong = client.post("/api/v1/flows/nothing/pause", headers={"X-CSRF-Token": "guess"})
    assert 403 == wrong.status_code
    assert 404 == client.post("/api/v1/flows/nothing/pause", headers={"X-CSRF-Token": me["csrf_token"]}).status_code
    assert 303 == client.post("/logout", headers={"X-CSRF-Token": me["csrf_token"]}).status_code
    assert 401 == client.get("/api/v1/me").status_code


def test_a_cross_site_form_cannot_act_even_with_the_cookie(api: Api) -> None:
    client, _ = api.login("admin")
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    evil = client.post("/api/v1/flows/products/pause", headers={"Origin": "https://evil.example",
                                                                 "X-CSRF-Token": csrf})
    assert 403 == evil.status_code and "cross-origin" in evil.text
    assert not api.world.services.paused()


def test_a_login_without_the_login_pages_token_is_refused(api: Api) -> None:
    with httpx.Client(base_url=api.url) as client:
        answer = client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": "forged"})
    assert 403 == answer.status_code and "tw_session" not in answer.headers.get("set-cookie", "")


def test_failed_logins_lock_the_name_out_even_for_the_right_password(api: Api) -> None:
    api.accounts.add_user("clumsy", PASSWORD, "viewer")
    for _ in range(5):
        _, answer = api.login("clumsy", "wrong password!")
        assert 401 == answer.status_code and "Wrong user name or password" in answer.text
    _, locked = api.login("clumsy", PASSWORD)
    assert 429 == locked.status_code and int(locked.headers["retry-after"]) > 800
    _, other = api.login("viewer")
    assert 303 == other.status_code  # another name is not locked


def test_a_revoked_token_is_refused_and_tokens_are_stored_hashed(api: Api) -> None:
    token = api.accounts.create_token("short-lived", "viewer")
    headers = {"Authorization": f"Bearer {token}"}
    assert 200 == httpx.get(f"{api.url}/api/v1/flows", headers=headers).status_code
    listed = next(t for t in api.accounts.tokens() if t.name == "short-lived")
    assert token.startswith(listed.prefix) and token != listed.prefix and listed.last_used_at is not None
    assert api.accounts.revoke(listed.id)
    assert 401 == httpx.get(f"{api.url}/api/v1/flows", headers=headers).status_code
    assert not api.accounts.revoke(listed.id)
    assert 401 == httpx.get(f"{api.url}/api/v1/flows", headers={"Authorization": "Bearer twk_made_up"}).status_code


def test_host_header_checked_and_security_headers_set(api: Api) -> None:
    assert 400 == httpx.get(f"{api.url}/healthz", headers={"Host": "evil.example"}).status_code
    answer = httpx.get(f"{api.url}/healthz")
    assert "nosniff" == answer.headers["x-content-type-options"]
    assert "DENY" == answer.headers["x-frame-options"]
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_a_browser_without_a_session_is_sent_to_the_login_page(api: Api) -> None:
    answer = httpx.get(f"{api.url}/", headers={"Accept": "text/html"})
    assert (303, "/login") == (answer.status_code, answer.headers["location"])
