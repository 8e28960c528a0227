"""What every stand-in shares: form parsing, masking, the admin API, options, the CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from drillbook.errors import DrillbookError
from drillbook.fakes import FAKES, FakeClient, FakeConfigError, create_app, parse_options
from drillbook.fakes.recording import RequestLog, mask_headers, mask_value
from drillbook.fakes.registry import describe_options
from drillbook.fakes.serving import BackgroundServer
from drillbook.fakes.web import BodyError, parse_form
from drillbook.faults.http import HttpFaultSpec
from hypothesis import given
from hypothesis import strategies as st

PD_KEY = "R0UT1NGKEY0123456789ABCDEFGHIJKL"

# --- form parsing -----------------------------------------------------------------------------


def test_form_fields_nest_like_stripes() -> None:
    text = (
        "amount=100&metadata[order]=7&metadata[note]=&card[address][zip]=10115"
        "&expand[]=a&expand[]=b"
    )
    assert parse_form(text) == {
        "amount": "100",
        "metadata": {"order": "7", "note": ""},
        "card": {"address": {"zip": "10115"}},
        "expand": ["a", "b"],
    }


@pytest.mark.parametrize("text", ["a=1&a[b]=2", "a[b]=2&a=1", "a[]=1&a[b]=2"])
def test_a_field_used_both_flat_and_nested_is_a_body_error(text: str) -> None:
    with pytest.raises(BodyError):
        parse_form(text)


_names = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
_values = st.text(max_size=8)
_nested = st.recursive(
    _values, lambda inner: st.dictionaries(_names, inner, min_size=1, max_size=3), max_leaves=8
)


def _flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _flatten(f"{prefix}[{key}]", item)]
    return [(prefix, value)]


@given(st.dictionaries(_names, _nested, max_size=4))
def test_nested_fields_survive_encoding_and_parsing(data: dict[str, Any]) -> None:
    pairs = [pair for key, value in data.items() for pair in _flatten(key, value)]
    assert parse_form(urlencode(pairs)) == data


# --- masking -------------------------------------------------------------------------------------


def test_headers_keep_the_scheme_but_never_the_credentials() -> None:
    masked = mask_headers(
        {
            "authorization": "Basic c2tfdGVzdF94eHg6",
            "x-api-key": "abc123",
            "x-auth-token": "t0ken",
            "cookie": "session=1",
            "idempotency-key": "order-1",
            "user-agent": "curl",
        }
    )
    assert masked == {
        "authorization": "Basic ********",
        "x-api-key": "********",
        "x-auth-token": "********",
        "cookie": "********",
        "idempotency-key": "order-1",
        "user-agent": "curl",
    }


def test_bodies_lose_secret_fields_and_bearer_tokens_in_text() -> None:
    body = {
        "username": "ada",
        "password": "correct horse",
        "nested": [{"client_secret": "s3cret", "note": "Bearer abcdefghijkl"}],
        "routing_key": "R0UT1NG",
        "empty_password": "",
    }
    assert mask_value(body) == {
        "username": "ada",
        "password": "********",
        "nested": [{"client_secret": "********", "note": "Bearer ********"}],
        "routing_key": "********",
        "empty_password": "",
    }


def test_the_request_log_is_bounded_and_filters() -> None:
    app = create_app("slack", max_records=3)
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        for n in range(5):
            http.get(f"/page/{n}")
        http.post("/page/9")
        kept = http.get("/__drillbook/requests").json()["requests"]
        posts = http.get("/__drillbook/requests", params={"method": "post"}).json()["requests"]
    assert [r["path"] for r in kept] == ["/page/3", "/page/4", "/page/9"]
    assert [r["id"] for r in kept] == [4, 5, 6]
    assert [r["path"] for r in posts] == ["/page/9"]
    assert isinstance(RequestLog().list(), list)


# --- the admin API of every stand-in -------------------------------------------------------------


@pytest.fixture(params=sorted(FAKES))
def any_fake(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    name: str = request.param
    with BackgroundServer(create_app(name)) as url:
        yield name, url


def test_every_stand_in_has_admin_paths_that_faults_never_hit(any_fake: tuple[str, str]) -> None:
    name, url = any_fake
    with FakeClient(url) as fake:
        fault_id = fake.faults.add(HttpFaultSpec(status=503))
        blocked = httpx.post(f"{url}/anything", json={})
        assert blocked.status_code == 503
        assert blocked.headers["x-drillbook-fault"] == fault_id
        assert fake.health() == {"fake": name, "status": "ok"}
        assert fake.state()["fake"] == name
        [record] = fake.requests()
        assert (record["path"], record["status"], record["fault"]) == ("/anything", 503, fault_id)
        fake.reset()
        fake.clear_requests()
        assert fake.requests() == []
        assert fake.faults.remove(fault_id) is True


def test_unknown_admin_resources_and_methods_say_what_exists() -> None:
    with BackgroundServer(create_app("slack")) as url:
        missing = httpx.get(f"{url}/__drillbook/nothing")
        wrong = httpx.post(f"{url}/__drillbook/requests")
    assert missing.status_code == 404 and "/requests" in missing.json()["error"]
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, DELETE"


def test_a_body_over_the_limit_is_refused_and_recorded() -> None:
    app = create_app("slack")
    app.max_body = 1000
    with BackgroundServer(app) as url, FakeClient(url) as fake:
        response = httpx.post(f"{url}/services/T1/B1/abc", content=b"x" * 2000)
        records = fake.requests()
    assert response.status_code == 413
    assert [(r["status"], r["body"]) for r in records] == [(413, None)]


def test_a_fake_client_names_a_stand_in_that_is_not_there() -> None:
    with BackgroundServer(create_app("slack")) as url:
        pass
    with FakeClient(url, timeout=1) as fake, pytest.raises(DrillbookError) as caught:
        fake.requests()
    assert url in str(caught.value) and "is it running" in str(caught.value)


# --- options -------------------------------------------------------------------------------------


def test_options_are_read_from_text_and_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BACKUP_STRIPE_KEY", "sk_test_from_env_1234")
    assert parse_options("stripe", ["keys=primary:sk_test_aaaa1111,backup:env:X"]) == {
        "keys": {"primary": "sk_test_aaaa1111", "backup": "env:X"}
    }
    assert parse_options("stripe", ["keys=env:BACKUP_STRIPE_KEY"]) == {
        "keys": {"primary": "sk_test_from_env_1234"}
    }
    assert parse_options("auth", ["users=ada:correct horse,bob:x:y", "token-ttl=60"]) == {
        "users": {"ada": "correct horse", "bob": "x:y"},
        "token_ttl": 60,
    }


@pytest.mark.parametrize(
    ("name", "items", "message"),
    [
        ("stripe", ["colour=red"], "has no option 'colour'; its options are: keys"),
        ("stripe", ["keys"], "is not key=value"),
        ("auth", ["token_ttl=soon"], "option token_ttl: "),
        ("auth", ["users=nobody"], "is not name:secret"),
        ("pagerduty", ["routing_keys=env:DRILLBOOK_UNSET_VAR"], "$DRILLBOOK_UNSET_VAR"),
        ("mailgun", [], "no stand-in called 'mailgun'"),
    ],
)
def test_bad_options_say_what_to_write(name: str, items: list[str], message: str) -> None:
    with pytest.raises(FakeConfigError) as caught:
        parse_options(name, items)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("stripe", {"keys": {"primary": "sk_live_realmoney"}}, "never takes live keys"),
        ("stripe", {"keys": {}}, "at least one account key"),
        ("auth", {"token_ttl": 0}, "at least 1 second"),
        ("slack", {"channel": "#x"}, "has no option(s) channel"),
    ],
)
def test_configurations_that_cannot_work_are_refused(
    name: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(FakeConfigError) as caught:
        create_app(name, **options)
    assert message in str(caught.value)


def test_the_help_lists_every_stand_in_and_option() -> None:
    text = describe_options()
    for name, fake_class in FAKES.items():
        assert f"  {name}\n" in text + "\n"
        for option in fake_class.OPTIONS:
            assert f"    {option}: " in text


# --- the command ---------------------------------------------------------------------------------


def start_fake(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "drillbook.fakes", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            return process, found[1]
    process.kill()
    raise AssertionError(f"no address announced; stderr: {process.communicate()[1]}")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_command_serves_a_stand_in_until_a_signal(stop: signal.Signals) -> None:
    process, url = start_fake(
        "pagerduty", "--option", "routing_keys=env:PD_KEYS", env={"PD_KEYS": PD_KEY}
    )
    try:
        event = {
            "routing_key": PD_KEY,
            "event_action": "trigger",
            "payload": {"summary": "s", "source": "s", "severity": "info"},
        }
        assert httpx.post(f"{url}/v2/enqueue", json=event).status_code == 202
        other = httpx.post(f"{url}/v2/enqueue", json={**event, "routing_key": "X" * 32})
        assert other.status_code == 400
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "/v2/enqueue" not in out  # no access log
    assert PD_KEY not in out + err
    assert "Traceback" not in err


def test_the_command_refuses_bad_options_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "drillbook.fakes", "stripe", "--option", "keys=primary:sk_live_x"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "never takes live keys" in result.stderr and "Traceback" not in result.stderr
