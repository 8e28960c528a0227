"""The auth stand-in over real HTTP: token grants, JWKS verification, userinfo, faults."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from drillbook.fakes import FakeServer, create_app
from drillbook.fakes.auth import AuthFake
from drillbook.fakes.serving import BackgroundServer
from drillbook.faults.http import HttpFaultClient, HttpFaultSpec

CLIENT, SECRET = "drillbook", "drillbook-secret"
PASSWORD_GRANT = {"grant_type": "password", "username": "ada", "password": "correct horse"}


class Clock:
    """A settable clock for the stand-in's token times."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeServer, httpx.Client, Clock]]:
    clock = Clock()
    app = create_app("auth", now=clock)
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield app, client, clock


@pytest.fixture
def http(served: tuple[FakeServer, httpx.Client, Clock]) -> httpx.Client:
    app, client, clock = served
    app.fake.reset()
    app.log.clear()
    app.book.clear()
    clock.now = time.time()
    return client


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def verify_with_jwks(http: httpx.Client, token: str, now: float) -> dict[str, Any]:
    """Decode a token the way a relying party does: the key from the JWKS by its kid."""
    jwks = http.get("/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    [jwk] = [key for key in jwks["keys"] if key["kid"] == kid]
    key = jwt.PyJWK(jwk).key
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["RS256"], audience="drillbook", options={"verify_exp": False}
    )
    assert claims["iat"] <= now < claims["exp"]
    return claims


def test_client_credentials_give_an_rs256_token_that_the_jwks_verifies(
    http: httpx.Client, served: tuple[FakeServer, httpx.Client, Clock]
) -> None:
    response = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "read"},
        headers=basic(CLIENT, SECRET),
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "read"
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "RS256"
    claims = verify_with_jwks(http, body["access_token"], served[2].now)
    assert claims["sub"] == CLIENT and claims["azp"] == CLIENT and claims["scope"] == "read"
    assert claims["iss"] == str(http.base_url).rstrip("/")
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize("as_json", [False, True])
def test_client_credentials_in_the_body_as_form_or_json(http: httpx.Client, as_json: bool) -> None:
    params = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET}
    response = (
        http.post("/oauth/token", json=params)
        if as_json
        else http.post("/oauth/token", data=params)
    )
    assert response.status_code == 200
    assert (
        jwt.decode(response.json()["access_token"], options={"verify_signature": False})["sub"]
        == CLIENT
    )


@pytest.mark.parametrize("as_json", [False, True])
def test_the_password_grant_gives_a_token_for_userinfo(
    http: httpx.Client, served: tuple[FakeServer, httpx.Client, Clock], as_json: bool
) -> None:
    response = (
        http.post("/oauth/token", json=PASSWORD_GRANT)
        if as_json
        else http.post("/oauth/token", data=PASSWORD_GRANT)
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert verify_with_jwks(http, token, served[2].now)["sub"] == "ada"
    profile = http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert profile.status_code == 200
    assert profile.json()["sub"] == "ada" and profile.json()["email"] == "ada@example.test"


@pytest.mark.parametrize(
    "params",
    [
        {**PASSWORD_GRANT, "password": "wrong horse"},
        {**PASSWORD_GRANT, "username": "grace"},
    ],
)
def test_a_wrong_password_or_user_is_401_invalid_grant(
    http: httpx.Client, params: dict[str, str]
) -> None:
    response = http.post("/oauth/token", data=params)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_is_401_invalid_client_with_a_challenge(http: httpx.Client) -> None:
    response = http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(CLIENT, "nope")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    no_secret = http.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": CLIENT}
    )
    assert no_secret.status_code == 401 and no_secret.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "abc"}, "unsupported_grant_type"),
        ({"grant_type": "password", "username": "ada"}, "invalid_request"),
    ],
)
def test_malformed_token_requests_are_400(
    http: httpx.Client, params: dict[str, str], error: str
) -> None:
    response = http.post("/oauth/token", data=params)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_userinfo_refuses_missing_forged_and_expired_tokens(
    http: httpx.Client, served: tuple[FakeServer, httpx.Client, Clock]
) -> None:
    assert http.get("/userinfo").status_code == 401
    token = http.post("/oauth/token", data=PASSWORD_GRANT).json()["access_token"]
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[::-1]}"
    refused = http.get("/userinfo", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]

    stranger = AuthFake()
    foreign = stranger.sign({"sub": "ada", "aud": "drillbook", "exp": 2_000_000_000})
    assert http.get("/userinfo", headers={"Authorization": f"Bearer {foreign}"}).status_code == 401

    served[2].now += 3601
    expired = http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and "expired" in expired.json()["error_description"]


def test_userinfo_has_no_user_for_a_client_token(http: httpx.Client) -> None:
    token = http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(CLIENT, SECRET)
    ).json()["access_token"]
    response = http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


def test_the_openid_configuration_points_at_the_endpoints(http: httpx.Client) -> None:
    config = http.get("/.well-known/openid-configuration").json()
    base = str(http.base_url).rstrip("/")
    assert config["issuer"] == base
    assert config["jwks_uri"] == f"{base}/.well-known/jwks.json"
    assert httpx.get(config["jwks_uri"]).json()["keys"][0]["kty"] == "RSA"


def test_passwords_and_tokens_never_reach_the_recording(http: httpx.Client) -> None:
    token = http.post("/oauth/token", data=PASSWORD_GRANT).json()["access_token"]
    http.post(
        "/oauth/token",
        json={"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET},
    )
    http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    recorded = http.get("/__drillbook/requests")
    for secret in ("correct horse", SECRET, token):
        assert secret not in recorded.text
    records = recorded.json()["requests"]
    assert records[0]["body"] == {**PASSWORD_GRANT, "password": "********"}
    assert records[0]["extras"] == {"subject": "ada"}
    assert records[1]["body"]["client_secret"] == "********"
    assert records[2]["headers"]["authorization"] == "Bearer ********"
    issued = http.get("/__drillbook/state").json()["issued"]
    assert [i["sub"] for i in issued] == ["ada", CLIENT]


def test_an_outage_of_the_token_endpoint_through_the_fault_api(http: httpx.Client) -> None:
    HttpFaultClient(str(http.base_url), client=http).add(
        HttpFaultSpec(status=503, count=1, path="/oauth/token")
    )
    down = http.post("/oauth/token", data=PASSWORD_GRANT)
    assert down.status_code == 503
    assert down.json()["error"] == "temporarily_unavailable"
    assert http.post("/oauth/token", data=PASSWORD_GRANT).status_code == 200


def test_users_and_clients_are_configured_at_start() -> None:
    app = create_app("auth", users={"grace": "hopper"}, clients={"ci": "ci-secret"}, token_ttl=60)
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        grace = http.post(
            "/oauth/token",
            data={"grant_type": "password", "username": "grace", "password": "hopper"},
        )
        ada = http.post("/oauth/token", data=PASSWORD_GRANT)
        client = http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic("ci", "ci-secret"),
        )
    assert grace.status_code == 200 and grace.json()["expires_in"] == 60
    assert ada.status_code == 401
    assert client.status_code == 200
