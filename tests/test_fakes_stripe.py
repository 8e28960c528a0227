"""The Stripe stand-in over real HTTP: charges, payment intents, errors, idempotency, faults."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from drillbook.fakes import FakeServer, create_app
from drillbook.fakes.serving import BackgroundServer
from drillbook.faults.http import HttpFaultClient, HttpFaultSpec

PRIMARY = "sk_test_primary_0123456789abcdef"
BACKUP = "sk_test_backup_fedcba9876543210"
KEYS = {"primary": PRIMARY, "backup": BACKUP}
AUTH = {"Authorization": f"Bearer {PRIMARY}"}
BACKUP_AUTH = {"Authorization": f"Bearer {BACKUP}"}
VISA = {"amount": "2000", "currency": "usd", "source": "tok_visa"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeServer, httpx.Client]]:
    app = create_app("stripe", keys=KEYS)
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield app, client


@pytest.fixture
def app(served: tuple[FakeServer, httpx.Client]) -> FakeServer:
    served[0].fake.reset()
    served[0].log.clear()
    served[0].book.clear()
    return served[0]


@pytest.fixture
def http(served: tuple[FakeServer, httpx.Client], app: FakeServer) -> httpx.Client:
    return served[1]


def charge(http: httpx.Client, data: dict[str, str], **headers: str) -> httpx.Response:
    return http.post("/v1/charges", data=data, headers={**AUTH, **headers})


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    return error


# --- charges ------------------------------------------------------------------------------


def test_a_charge_with_a_test_token_succeeds_and_can_be_read_back(http: httpx.Client) -> None:
    created = charge(http, {**VISA, "description": "order 7", "metadata[order]": "7"})
    assert created.status_code == 200
    assert created.headers["content-type"] == "application/json"
    assert created.headers["request-id"].startswith("req_")
    body = created.json()
    assert body["id"].startswith("ch_") and body["object"] == "charge"
    assert (body["amount"], body["currency"], body["status"]) == (2000, "usd", "succeeded")
    assert body["paid"] is True and body["captured"] is True and body["livemode"] is False
    assert body["metadata"] == {"order": "7"} and body["description"] == "order 7"
    assert body["payment_method_details"]["card"]["last4"] == "4242"

    fetched = http.get(f"/v1/charges/{body['id']}", headers=AUTH)
    assert fetched.status_code == 200 and fetched.json() == body


def test_the_charge_list_is_newest_first_with_limit_and_pagination(http: httpx.Client) -> None:
    ids = [charge(http, {**VISA, "amount": str(100 * n)}).json()["id"] for n in (1, 2, 3)]
    page = http.get("/v1/charges", params={"limit": 2}, headers=AUTH).json()
    assert page["object"] == "list" and page["url"] == "/v1/charges"
    assert [c["id"] for c in page["data"]] == [ids[2], ids[1]] and page["has_more"] is True
    rest = http.get(
        "/v1/charges", params={"limit": 2, "starting_after": ids[1]}, headers=AUTH
    ).json()
    assert [c["id"] for c in rest["data"]] == [ids[0]] and rest["has_more"] is False


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("0", "greater than or equal to 1"),
        ("101", "less than or equal to 100"),
        ("ten", "Invalid integer: ten"),
    ],
)
def test_a_bad_list_limit_is_an_invalid_request(
    http: httpx.Client, limit: str, message: str
) -> None:
    response = http.get("/v1/charges", params={"limit": limit}, headers=AUTH)
    assert response.status_code == 400
    error = error_of(response)
    assert error["type"] == "invalid_request_error" and error["param"] == "limit"
    assert message in error["message"]


@pytest.mark.parametrize(
    ("source", "code", "decline_code", "message"),
    [
        ("tok_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
        (
            "tok_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        ("tok_chargeDeclinedExpiredCard", "expired_card", "expired_card", "Your card has expired."),
        ("tok_chargeDeclinedFraudulent", "card_declined", "fraudulent", "Your card was declined."),
    ],
)
def test_declining_test_tokens_give_card_errors_and_failed_charges(
    http: httpx.Client, source: str, code: str, decline_code: str, message: str
) -> None:
    response = charge(http, {**VISA, "source": source})
    assert response.status_code == 402
    error = error_of(response)
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        code,
        decline_code,
    )
    assert error["message"] == message
    assert error["doc_url"].endswith(f"/error-codes/{code}")
    failed = http.get(f"/v1/charges/{error['charge']}", headers=AUTH).json()
    assert failed["status"] == "failed" and failed["paid"] is False
    assert failed["failure_code"] == code
    assert failed["outcome"]["reason"] == decline_code


def test_test_card_numbers_decline_or_pass_as_stripe_documents(http: httpx.Client) -> None:
    funds = charge(http, {"amount": "500", "currency": "eur", "source[number]": "4000000000009995"})
    assert funds.status_code == 402 and error_of(funds)["decline_code"] == "insufficient_funds"
    cvc = charge(http, {"amount": "500", "currency": "eur", "source[number]": "4000000000000127"})
    assert error_of(cvc)["code"] == "incorrect_cvc" and error_of(cvc)["param"] == "cvc"
    good = charge(http, {"amount": "500", "currency": "eur", "source[number]": "5555555555554444"})
    assert good.status_code == 200
    assert good.json()["payment_method_details"]["card"]["brand"] == "mastercard"
    wrong = charge(http, {"amount": "500", "currency": "eur", "source[number]": "4242424242424241"})
    assert wrong.status_code == 402 and error_of(wrong)["code"] == "incorrect_number"


@pytest.mark.parametrize(
    ("data", "param", "code", "message"),
    [
        (
            {"currency": "usd", "source": "tok_visa"},
            "amount",
            "parameter_missing",
            "Missing required param: amount.",
        ),
        ({**VISA, "amount": "12.5"}, "amount", "parameter_invalid_integer", "Invalid integer"),
        ({**VISA, "amount": "20"}, "amount", "amount_too_small", "at least 0.50 usd"),
        ({**VISA, "currency": "xyz"}, "currency", None, "Invalid currency: xyz"),
        ({"amount": "2000", "currency": "usd"}, "source", "parameter_missing", "Must provide"),
        ({**VISA, "source": "tok_nope"}, "source", "resource_missing", "No such token"),
        ({**VISA, "colour": "red"}, "colour", "parameter_unknown", "unknown parameter: colour"),
        ({**VISA, "capture": "maybe"}, "capture", "parameter_invalid_string", "Invalid boolean"),
    ],
)
def test_invalid_charge_parameters_are_400_invalid_request_errors(
    http: httpx.Client, data: dict[str, str], param: str, code: str | None, message: str
) -> None:
    response = charge(http, data)
    assert response.status_code == 400
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error.get("param") == param and error.get("code") == code
    assert message in error["message"]
    assert http.get("/v1/charges", headers=AUTH).json()["data"] == []


def test_a_json_body_is_refused_because_stripe_takes_forms(http: httpx.Client) -> None:
    response = http.post("/v1/charges", json={"amount": 2000}, headers=AUTH)
    assert response.status_code == 400
    assert "form-encoded" in error_of(response)["message"]


def test_unknown_charges_and_urls_are_404(http: httpx.Client) -> None:
    missing = http.get("/v1/charges/ch_nope", headers=AUTH)
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "resource_missing"
    assert error_of(missing)["message"] == "No such charge: 'ch_nope'"
    unknown = http.get("/v1/refunds", headers=AUTH)
    assert unknown.status_code == 404
    assert "Unrecognized request URL (GET: /v1/refunds)" in error_of(unknown)["message"]


# --- keys and accounts --------------------------------------------------------------------


def test_a_missing_or_wrong_key_is_401_without_echoing_the_key(http: httpx.Client) -> None:
    missing = http.post("/v1/charges", data=VISA)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Basic realm="Stripe"'
    assert "You did not provide an API key" in error_of(missing)["message"]

    wrong_key = "sk_test_not_the_right_key_4321"
    wrong = http.post("/v1/charges", data=VISA, headers={"Authorization": f"Bearer {wrong_key}"})
    assert wrong.status_code == 401
    error = error_of(wrong)
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Invalid API Key provided: sk_test_")
    assert error["message"].endswith("4321") and wrong_key not in wrong.text


def test_basic_auth_with_the_key_as_user_is_accepted(http: httpx.Client) -> None:
    token = base64.b64encode(f"{PRIMARY}:".encode()).decode()
    response = http.post("/v1/charges", data=VISA, headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200


def test_the_backup_account_keeps_its_own_charges_and_is_recorded(
    http: httpx.Client, app: FakeServer
) -> None:
    backup = http.post("/v1/charges", data=VISA, headers=BACKUP_AUTH).json()
    assert http.get(f"/v1/charges/{backup['id']}", headers=AUTH).status_code == 404
    assert http.get(f"/v1/charges/{backup['id']}", headers=BACKUP_AUTH).status_code == 200
    records = http.get("/__drillbook/requests", params={"path": "/v1/charges"}).json()["requests"]
    assert [r["extras"]["account"] for r in records] == ["backup", "primary", "backup"]
    state = http.get("/__drillbook/state").json()
    assert [c["id"] for c in state["accounts"]["backup"]["charges"]] == [backup["id"]]
    assert state["accounts"]["primary"]["charges"] == []


# --- idempotency --------------------------------------------------------------------------


def test_the_same_idempotency_key_and_parameters_replay_the_first_answer(
    http: httpx.Client,
) -> None:
    first = charge(http, VISA, **{"Idempotency-Key": "order-42"})
    again = charge(http, VISA, **{"Idempotency-Key": "order-42"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["original-request"] == first.headers["request-id"]
    assert len(http.get("/v1/charges", headers=AUTH).json()["data"]) == 1


def test_the_same_key_with_other_parameters_or_endpoint_is_an_idempotency_error(
    http: httpx.Client,
) -> None:
    charge(http, VISA, **{"Idempotency-Key": "order-43"})
    other = charge(http, {**VISA, "amount": "2001"}, **{"Idempotency-Key": "order-43"})
    assert other.status_code == 400
    error = error_of(other)
    assert error["type"] == "idempotency_error"
    assert "same parameters they were first used with" in error["message"]
    elsewhere = http.post(
        "/v1/payment_intents",
        data={"amount": "2000", "currency": "usd"},
        headers={**AUTH, "Idempotency-Key": "order-43"},
    )
    assert elsewhere.status_code == 400
    assert error_of(elsewhere)["type"] == "idempotency_error"
    assert "same endpoint" in error_of(elsewhere)["message"]
    assert len(http.get("/v1/charges", headers=AUTH).json()["data"]) == 1


def test_a_declined_charge_is_replayed_but_a_validation_error_is_not_saved(
    http: httpx.Client,
) -> None:
    declined = {**VISA, "source": "tok_chargeDeclined"}
    first = charge(http, declined, **{"Idempotency-Key": "k-declined"})
    again = charge(http, declined, **{"Idempotency-Key": "k-declined"})
    assert first.status_code == again.status_code == 402
    assert error_of(again)["charge"] == error_of(first)["charge"]
    assert again.headers["idempotent-replayed"] == "true"

    invalid = charge(http, {**VISA, "amount": "x"}, **{"Idempotency-Key": "k-fixed"})
    assert invalid.status_code == 400
    fixed = charge(http, {**VISA, "amount": "x"}, **{"Idempotency-Key": "k-fixed"})
    assert fixed.status_code == 400 and "idempotent-replayed" not in fixed.headers


def test_idempotency_keys_belong_to_one_account(http: httpx.Client) -> None:
    primary = charge(http, VISA, **{"Idempotency-Key": "shared"}).json()
    backup = http.post(
        "/v1/charges", data=VISA, headers={**BACKUP_AUTH, "Idempotency-Key": "shared"}
    )
    assert backup.status_code == 200 and "idempotent-replayed" not in backup.headers
    assert backup.json()["id"] != primary["id"]


# --- payment intents ----------------------------------------------------------------------


def test_a_payment_intent_confirmed_with_a_test_method_succeeds(http: httpx.Client) -> None:
    created = http.post(
        "/v1/payment_intents",
        data={
            "amount": "1500",
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": "true",
        },
        headers=AUTH,
    )
    assert created.status_code == 200
    intent = created.json()
    assert intent["object"] == "payment_intent" and intent["id"].startswith("pi_")
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 1500)
    assert intent["client_secret"].startswith(intent["id"] + "_secret_")
    latest = http.get(f"/v1/charges/{intent['latest_charge']}", headers=AUTH).json()
    assert latest["payment_intent"] == intent["id"] and latest["amount"] == 1500
    assert http.get(f"/v1/payment_intents/{intent['id']}", headers=AUTH).json() == intent


def test_a_payment_intent_waits_for_confirmation_and_can_be_confirmed(
    http: httpx.Client,
) -> None:
    bare = http.post(
        "/v1/payment_intents", data={"amount": "900", "currency": "gbp"}, headers=AUTH
    ).json()
    assert bare["status"] == "requires_payment_method" and bare["latest_charge"] is None
    manual = http.post(
        f"/v1/payment_intents/{bare['id']}/confirm",
        data={"payment_method": "pm_card_mastercard"},
        headers=AUTH,
    ).json()
    assert manual["status"] == "succeeded"
    again = http.post(f"/v1/payment_intents/{bare['id']}/confirm", headers=AUTH)
    assert again.status_code == 400
    assert error_of(again)["code"] == "payment_intent_unexpected_state"

    held = http.post(
        "/v1/payment_intents",
        data={
            "amount": "900",
            "currency": "gbp",
            "payment_method": "pm_card_visa",
            "confirm": "true",
            "capture_method": "manual",
        },
        headers=AUTH,
    ).json()
    assert (held["status"], held["amount_capturable"]) == ("requires_capture", 900)


def test_a_declined_payment_intent_is_a_card_error_carrying_the_intent(
    http: httpx.Client,
) -> None:
    response = http.post(
        "/v1/payment_intents",
        data={
            "amount": "1500",
            "currency": "usd",
            "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
            "confirm": "true",
        },
        headers=AUTH,
    )
    assert response.status_code == 402
    error = error_of(response)
    assert error["type"] == "card_error" and error["decline_code"] == "insufficient_funds"
    intent = error["payment_intent"]
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["code"] == "card_declined"
    assert intent["latest_charge"] == error["charge"]


def test_confirming_without_a_payment_method_or_with_an_unknown_one_is_refused(
    http: httpx.Client,
) -> None:
    no_method = http.post(
        "/v1/payment_intents",
        data={"amount": "1500", "currency": "usd", "confirm": "true"},
        headers=AUTH,
    )
    assert no_method.status_code == 400
    assert error_of(no_method)["param"] == "payment_method"
    unknown = http.post(
        "/v1/payment_intents",
        data={"amount": "1500", "currency": "usd", "payment_method": "pm_nope"},
        headers=AUTH,
    )
    assert unknown.status_code == 400 and error_of(unknown)["code"] == "resource_missing"


# --- recording ----------------------------------------------------------------------------


def test_recorded_requests_mask_the_key_and_keep_the_parsed_form(http: httpx.Client) -> None:
    charge(http, {**VISA, "metadata[order]": "9"}, **{"Idempotency-Key": "rec-1"})
    http.get("/v1/charges", headers=AUTH)
    everything = http.get("/__drillbook/requests")
    assert PRIMARY not in everything.text
    records = everything.json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in records] == [
        ("POST", "/v1/charges", 200),
        ("GET", "/v1/charges", 200),
    ]
    posted = records[0]
    assert posted["headers"]["authorization"] == "Bearer ********"
    assert posted["headers"]["idempotency-key"] == "rec-1"
    assert posted["body"] == {**VISA, "metadata": {"order": "9"}}
    assert posted["fault"] is None and posted["time"].endswith("Z")
    only_posts = http.get("/__drillbook/requests", params={"method": "POST"}).json()
    assert [r["id"] for r in only_posts["requests"]] == [posted["id"]]
    assert http.delete("/__drillbook/requests").status_code == 204
    assert http.get("/__drillbook/requests").json() == {"requests": []}


# --- faults -------------------------------------------------------------------------------


def test_a_counted_fault_answers_stripe_api_errors_then_lifts(
    http: httpx.Client, served: tuple[FakeServer, httpx.Client]
) -> None:
    faults = HttpFaultClient(str(http.base_url), client=http)
    faults.add(HttpFaultSpec(status=500, count=2, method="POST", path="/v1/charges"))
    answers = [charge(http, VISA) for _ in range(3)]
    assert [a.status_code for a in answers] == [500, 500, 200]
    error = error_of(answers[0])
    assert error["type"] == "api_error" and error["message"]
    assert http.get("/v1/charges", headers=AUTH).status_code == 200
    records = http.get("/__drillbook/requests", params={"method": "POST"}).json()["requests"]
    assert [r["status"] for r in records] == [500, 500, 200]
    assert records[0]["fault"] == records[1]["fault"] is not None and records[2]["fault"] is None
    assert faults.list() == []


def test_a_retry_with_the_same_key_after_an_injected_500_charges_once(
    http: httpx.Client,
) -> None:
    faults = HttpFaultClient(str(http.base_url), client=http)
    faults.add(HttpFaultSpec(status=500, count=1, path="/v1/charges"))
    first = charge(http, VISA, **{"Idempotency-Key": "retry-1"})
    second = charge(http, VISA, **{"Idempotency-Key": "retry-1"})
    third = charge(http, VISA, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == 500 and second.status_code == 200
    assert third.headers["idempotent-replayed"] == "true" and third.json() == second.json()
    assert len(http.get("/v1/charges", headers=AUTH).json()["data"]) == 1


def test_a_rate_limit_fault_without_a_body_answers_a_rate_limit_error(
    http: httpx.Client,
) -> None:
    HttpFaultClient(str(http.base_url), client=http).add(HttpFaultSpec(status=429, count=1))
    limited = charge(http, VISA)
    assert limited.status_code == 429
    assert error_of(limited)["type"] == "rate_limit_error"
    assert error_of(limited)["code"] == "rate_limit"


def test_a_fault_with_its_own_body_keeps_it(http: httpx.Client) -> None:
    custom = {"error": {"type": "api_error", "message": "custom outage"}}
    HttpFaultClient(str(http.base_url), client=http).add(
        HttpFaultSpec(status=503, body=custom, count=1)
    )
    assert charge(http, VISA).json() == custom


def test_a_seeded_fraction_fails_exactly_the_charges_its_rolls_pick() -> None:
    seed, tries = 1234, 40
    rolls = random.Random(seed)
    expected = [rolls.random() < 0.5 for _ in range(tries)]
    app = create_app("stripe", keys=KEYS, seed=seed)
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        faults = HttpFaultClient(url, client=http)
        faults.add(HttpFaultSpec(status=500, fraction=0.5, method="POST", path="/v1/charges"))
        statuses = [charge(http, VISA).status_code for _ in range(tries)]
        listed = faults.list()
    assert statuses == [500 if hit else 200 for hit in expected]
    assert 0 < statuses.count(500) < tries
    assert listed[0].applied == statuses.count(500)


def test_admin_paths_are_never_faulted(http: httpx.Client) -> None:
    HttpFaultClient(str(http.base_url), client=http).add(HttpFaultSpec(status=503))
    assert charge(http, VISA).status_code == 503
    assert http.get("/__drillbook/requests").status_code == 200
    assert http.get("/__drillbook/state").status_code == 200
    assert http.get("/__drillbook/health").json() == {"fake": "stripe", "status": "ok"}
    recorded = http.get("/__drillbook/requests").json()["requests"]
    assert [r["path"] for r in recorded] == ["/v1/charges"]


def test_state_and_reset_through_the_admin_api(http: httpx.Client, app: FakeServer) -> None:
    created = charge(http, VISA).json()
    state = http.get("/__drillbook/state").json()
    assert state["fake"] == "stripe"
    assert [c["id"] for c in state["accounts"]["primary"]["charges"]] == [created["id"]]
    assert {"fake": "stripe", **app.fake.snapshot()} == state
    assert http.delete("/__drillbook/state").status_code == 204
    assert http.get(f"/v1/charges/{created['id']}", headers=AUTH).status_code == 404
    assert json.loads(http.get("/__drillbook/state").text)["accounts"]["primary"] == {
        "charges": [],
        "payment_intents": [],
    }
