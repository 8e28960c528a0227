"""A stand-in for a subset of the Stripe API: charges and payment intents in test mode.

- ``POST /v1/charges`` (``amount``, ``currency``, ``source``: a ``tok_*`` test token or a
  ``source[number]`` test card), ``GET /v1/charges/{id}``, ``GET /v1/charges?limit=N``;
- ``POST /v1/payment_intents`` (``payment_method``: a ``pm_card_*`` test payment method,
  ``confirm``, ``capture_method``), ``GET /v1/payment_intents/{id}``,
  ``POST /v1/payment_intents/{id}/confirm``.

Bodies are form-encoded as with the real API; keys are secret test keys (``sk_test_...``)
given as Bearer or Basic credentials. Each key belongs to a named account (``primary``,
``backup``, ...): objects live in the account that made them, and the record of every
request says which account served it. Errors are Stripe's error objects with Stripe's
statuses; a POST with an ``Idempotency-Key`` is replayed (``Idempotent-Replayed: true``)
when repeated with the same parameters, and refused (``idempotency_error``) with others.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from drillbook.errors import DrillbookError
from drillbook.fakes.base import Fake, Option
from drillbook.fakes.stripe_objects import (
    PAYMENT_METHODS,
    TOKENS,
    StripeCard,
    StripeError,
    card_details,
    card_error,
    card_for_number,
    error_object,
    invalid_request,
    missing_param,
    native_fault_error,
    no_such,
    outcome,
)
from drillbook.fakes.web import Request, Response, Route, json_response


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DEFAULT_KEYS = {"primary": "sk_test_drillbook_primary"}
MAX_IDEMPOTENCY_KEY = 255
MAX_AMOUNT = 99_999_999
CURRENCIES = _words("usd eur gbp cad aud jpy chf sek nok dkk nzd sgd hkd mxn brl inr pln")
MINIMUM_AMOUNT = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "jpy": 50, "chf": 50}
ZERO_DECIMAL = frozenset({"jpy"})
CHARGE_PARAMS = _words(
    "amount currency source customer description metadata capture receipt_email "
    "statement_descriptor statement_descriptor_suffix expand shipping transfer_group"
)
INTENT_PARAMS = _words(
    "amount currency payment_method confirm capture_method confirmation_method "
    "description metadata payment_method_types receipt_email return_url "
    "statement_descriptor statement_descriptor_suffix expand off_session shipping "
    "setup_future_usage"
)
CONFIRM_PARAMS = frozenset({"payment_method", "return_url", "expand", "off_session"})
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
_KEY = re.compile(r"^[sr]k_test_[A-Za-z0-9_]{4,}$")
_INTEGER = re.compile(r"^-?[0-9]+$")

Result = tuple[int, dict[str, Any]]


class StripeConfigError(DrillbookError, ValueError):
    """A stand-in configuration that cannot work (for instance a live key)."""


@dataclass(frozen=True)
class Call:
    """One authenticated API call: the account it acts for and its parameters."""

    account: str
    params: dict[str, Any]
    request: Request


@dataclass(frozen=True)
class Saved:
    """A response kept for idempotent replay, with what made it."""

    path: str
    params: str
    status: int
    payload: dict[str, Any]
    request_id: str


@dataclass
class Account:
    """One Stripe account's objects, in creation order, and its idempotency keys."""

    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, Saved] = field(default_factory=dict)


def parse_keys(text: str) -> dict[str, str]:
    """``primary:sk_test_a,backup:sk_test_b`` (a lone key is the ``primary`` account's)."""
    keys: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, key = item.partition(":")
        if not sep:
            name, key = ("primary" if not keys else f"account{len(keys) + 1}"), item
        keys[name] = key
    return keys


class StripeFake(Fake):
    """The Stripe stand-in (see the module description)."""

    name = "stripe"
    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "keys": Option(
            "accounts and their secret test keys, e.g. "
            "'primary:sk_test_abc,backup:sk_test_def' (default: primary:sk_test_drillbook_primary)",
            parse_keys,
        ),
    }

    def __init__(self, *, keys: Mapping[str, str] | None = None, **base: Any) -> None:
        super().__init__(**base)
        self.keys = dict(DEFAULT_KEYS if keys is None else keys)
        _check_keys(self.keys)
        self._account_of = {key: name for name, key in self.keys.items()}
        self.accounts = {name: Account() for name in self.keys}

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/v1/charges", self._api(self._create_charge)),
            Route("GET", "/v1/charges", self._api(self._list_charges)),
            Route("GET", "/v1/charges/{id}", self._api(self._get_charge)),
            Route("POST", "/v1/payment_intents", self._api(self._create_intent)),
            Route("GET", "/v1/payment_intents/{id}", self._api(self._get_intent)),
            Route("POST", "/v1/payment_intents/{id}/confirm", self._api(self._confirm_intent)),
        ]

    def state(self) -> dict[str, Any]:
        return {
            "accounts": {
                name: {
                    "charges": list(account.charges.values()),
                    "payment_intents": list(account.intents.values()),
                }
                for name, account in self.accounts.items()
            }
        }

    def reset(self) -> None:
        self.accounts = {name: Account() for name in self.keys}

    def fault_body(self, status: int) -> Any:
        return {"error": native_fault_error(status)}

    def not_found(self, request: Request) -> Response:
        message = (
            f"Unrecognized request URL ({request.method}: {request.path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/."
        )
        return json_response(404, {"error": error_object("invalid_request_error", message)})

    def method_not_allowed(self, request: Request, allowed: tuple[str, ...]) -> Response:
        return self.not_found(request)

    # --- the call pipeline: auth, parameters, idempotency ------------------------------------

    def _api(self, operation: Callable[[Call], Result]) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            request_id = self.random_id("req_", 14)
            try:
                account = self._authenticate(request)
                request.extras["account"] = account
                call = Call(account, _params(request), request)
                status, payload, headers = self._idempotent(call, operation, request_id)
            except StripeError as error:
                status, payload, headers = error.status, error.body(), {}
            if status == 401:
                headers["www-authenticate"] = 'Basic realm="Stripe"'
            return json_response(status, payload, {"request-id": request_id, **headers})

        return handler

    def _authenticate(self, request: Request) -> str:
        key = _api_key(request.headers.get("authorization", ""))
        if key is None:
            raise invalid_request(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/.",
                status=401,
            )
        account = self._account_of.get(key)
        if account is None:
            raise invalid_request(f"Invalid API Key provided: {_redacted(key)}", status=401)
        return account

    def _idempotent(
        self, call: Call, operation: Callable[[Call], Result], request_id: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        key = call.request.headers.get("idempotency-key")
        if key is None or call.request.method != "POST":
            status, payload = _run(operation, call)[:2]
            return status, payload, {}
        if len(key) > MAX_IDEMPOTENCY_KEY:
            raise invalid_request(
                f"Invalid Idempotency-Key: keys can be at most {MAX_IDEMPOTENCY_KEY} characters.",
                param="Idempotency-Key",
            )
        store = self.accounts[call.account].idempotency
        fingerprint = json.dumps(call.params, sort_keys=True)
        saved = store.get(key)
        if saved is not None:
            _check_same_request(key, saved, call.request.path, fingerprint)
            replayed = {
                "idempotency-key": key,
                "idempotent-replayed": "true",
                "original-request": saved.request_id,
            }
            return saved.status, saved.payload, replayed
        status, payload, executed = _run(operation, call)
        if executed:
            store[key] = Saved(call.request.path, fingerprint, status, payload, request_id)
        return status, payload, {"idempotency-key": key}

    # --- charges -----------------------------------------------------------------------------

    def _create_charge(self, call: Call) -> Result:
        params = call.params
        _only(params, CHARGE_PARAMS)
        amount, currency = _amount_and_currency(params)
        metadata = _metadata(params)
        capture = _boolean(params, "capture", default=True)
        card = _source(params)
        charge = self._new_charge(call.account, amount, currency, card, metadata, capture)
        charge["description"] = params.get("description")
        if card.decline is not None:
            raise card_error(card.decline, charge=charge["id"])
        return 200, charge

    def _list_charges(self, call: Call) -> Result:
        limit = _limit(call.params)
        charges = list(reversed(self.accounts[call.account].charges.values()))
        intent = call.params.get("payment_intent")
        if isinstance(intent, str):
            charges = [charge for charge in charges if charge["payment_intent"] == intent]
        after = call.params.get("starting_after")
        if isinstance(after, str):
            ids = [charge["id"] for charge in charges]
            if after not in ids:
                raise no_such("charge", after, "starting_after")
            charges = charges[ids.index(after) + 1 :]
        return 200, {
            "object": "list",
            "data": charges[:limit],
            "has_more": len(charges) > limit,
            "url": "/v1/charges",
        }

    def _get_charge(self, call: Call) -> Result:
        charge_id = call.request.params["id"]
        charge = self.accounts[call.account].charges.get(charge_id)
        if charge is None:
            raise no_such("charge", charge_id, "id")
        return 200, charge

    def _new_charge(
        self,
        account: str,
        amount: int,
        currency: str,
        card: StripeCard,
        metadata: dict[str, Any],
        capture: bool,
        intent_id: str | None = None,
    ) -> dict[str, Any]:
        decline = card.decline
        approved = decline is None
        card_id = self.random_id("card_")
        charge: dict[str, Any] = {
            "id": self.random_id("ch_"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount if approved and capture else 0,
            "amount_refunded": 0,
            "balance_transaction": self.random_id("txn_") if approved and capture else None,
            "captured": approved and capture,
            "created": int(self.now()),
            "currency": currency,
            "description": None,
            "failure_code": None if decline is None else decline.code,
            "failure_message": None if decline is None else decline.message,
            "livemode": False,
            "metadata": metadata,
            "outcome": outcome(card),
            "paid": approved,
            "payment_intent": intent_id,
            "payment_method": card_id,
            "payment_method_details": {"card": card_details(card), "type": "card"},
            "refunded": False,
            "status": "succeeded" if approved else "failed",
        }
        self.accounts[account].charges[charge["id"]] = charge
        return charge

    # --- payment intents -----------------------------------------------------------------------

    def _create_intent(self, call: Call) -> Result:
        params = call.params
        _only(params, INTENT_PARAMS)
        amount, currency = _amount_and_currency(params)
        metadata = _metadata(params)
        confirm = _boolean(params, "confirm", default=False)
        capture_method = _choice(params, "capture_method", CAPTURE_METHODS)
        method = _payment_method(params)
        if confirm and method is None:
            raise _missing_payment_method()
        intent_id = self.random_id("pi_")
        intent: dict[str, Any] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "capture_method": capture_method,
            "client_secret": f"{intent_id}_secret_{self.random_id('', 25)}",
            "confirmation_method": "automatic",
            "created": int(self.now()),
            "currency": currency,
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "payment_method": method,
            "payment_method_types": ["card"],
            "status": "requires_confirmation" if method else "requires_payment_method",
        }
        self.accounts[call.account].intents[intent_id] = intent
        if confirm:
            return self._confirm(call.account, intent)
        return 200, intent

    def _get_intent(self, call: Call) -> Result:
        return 200, self._intent(call)

    def _confirm_intent(self, call: Call) -> Result:
        _only(call.params, CONFIRM_PARAMS)
        intent = self._intent(call)
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise invalid_request(
                f"You cannot confirm this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                "payment_intent_unexpected_state",
            )
        method = _payment_method(call.params) or intent["payment_method"]
        if method is None:
            raise _missing_payment_method()
        intent["payment_method"] = method
        return self._confirm(call.account, intent)

    def _intent(self, call: Call) -> dict[str, Any]:
        intent_id = call.request.params["id"]
        intent = self.accounts[call.account].intents.get(intent_id)
        if intent is None:
            raise no_such("payment_intent", intent_id, "id")
        return intent

    def _confirm(self, account: str, intent: dict[str, Any]) -> Result:
        card = PAYMENT_METHODS[intent["payment_method"]]
        automatic = intent["capture_method"] != "manual"
        charge = self._new_charge(
            account, intent["amount"], intent["currency"], card, {}, automatic, intent["id"]
        )
        intent["latest_charge"] = charge["id"]
        if card.decline is not None:
            error = card_error(card.decline, charge=charge["id"])
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = dict(error.error)
            error.error["payment_intent"] = dict(intent)
            raise error
        intent["status"] = "succeeded" if automatic else "requires_capture"
        intent["amount_received"] = intent["amount"] if automatic else 0
        intent["amount_capturable"] = 0 if automatic else intent["amount"]
        return 200, intent


# --- parameters ----------------------------------------------------------------------------


def _check_keys(keys: dict[str, str]) -> None:
    if not keys:
        raise StripeConfigError("the Stripe stand-in needs at least one account key")
    for name, key in keys.items():
        if not _KEY.match(key):
            raise StripeConfigError(
                f"the key of account {name!r} is not a secret test key; write one that starts "
                "with 'sk_test_' (a stand-in never takes live keys)"
            )
    if len(set(keys.values())) != len(keys):
        raise StripeConfigError("two Stripe accounts have the same key; give each its own")


def _api_key(authorization: str) -> str | None:
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if not credentials:
        return None
    if scheme.lower() == "bearer":
        return credentials
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return credentials
        return decoded.partition(":")[0] or None
    return credentials


def _redacted(key: str) -> str:
    prefix = key[:8] if key.startswith(("sk_", "rk_")) else ""
    tail = key[-4:] if len(key) >= 16 else ""
    return prefix + "*" * max(len(key) - len(prefix) - len(tail), 4) + tail


def _params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return request.query()
    if request.content_type == "application/json":
        raise invalid_request(
            "Invalid request: the Stripe API takes form-encoded parameters "
            "(application/x-www-form-urlencoded), not a JSON body."
        )
    try:
        return request.form()
    except DrillbookError as error:
        raise invalid_request(f"Invalid request: {error}") from None


def _run(operation: Callable[[Call], Result], call: Call) -> tuple[int, dict[str, Any], bool]:
    try:
        status, payload = operation(call)
    except StripeError as error:
        return error.status, error.body(), error.executed
    return status, payload, True


def _check_same_request(key: str, saved: Saved, path: str, fingerprint: str) -> None:
    other = f"Try using a key other than '{key}' if you meant to execute a different request."
    if saved.path != path:
        message = (
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ('{saved.path}' vs '{path}'). {other}"
        )
    elif saved.params != fingerprint:
        message = (
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. {other}"
        )
    else:
        return
    raise StripeError(400, error_object("idempotency_error", message))


def _only(params: dict[str, Any], allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed:
            raise invalid_request(f"Received unknown parameter: {name}", "parameter_unknown", name)


def _integer(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _INTEGER.match(value):
        raise invalid_request(f"Invalid integer: {value}", "parameter_invalid_integer", name)
    return int(value)


def _amount_and_currency(params: dict[str, Any]) -> tuple[int, str]:
    amount = _integer(params, "amount")
    if amount is None:
        raise missing_param("amount")
    if amount < 1:
        raise invalid_request(
            "This value must be greater than or equal to 1.", "parameter_invalid_integer", "amount"
        )
    currency = params.get("currency")
    if currency is None or currency == "":
        raise missing_param("currency")
    if not isinstance(currency, str) or currency.lower() not in CURRENCIES:
        raise invalid_request(
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            + ", ".join(sorted(CURRENCIES)),
            param="currency",
        )
    currency = currency.lower()
    minimum = MINIMUM_AMOUNT.get(currency, 1)
    if amount < minimum:
        raise invalid_request(
            f"Amount must be at least {_money(minimum, currency)} {currency}",
            "amount_too_small",
            "amount",
        )
    if amount > MAX_AMOUNT:
        raise invalid_request(
            f"Amount must be no more than {_money(MAX_AMOUNT, currency)} {currency}",
            "amount_too_large",
            "amount",
        )
    return amount, currency


def _money(amount: int, currency: str) -> str:
    return f"{amount:,}" if currency in ZERO_DECIMAL else f"{amount / 100:,.2f}"


def _metadata(params: dict[str, Any]) -> dict[str, Any]:
    metadata = params.get("metadata", {})
    if metadata == "":
        return {}
    if not isinstance(metadata, dict):
        raise invalid_request("Invalid object", "parameter_invalid_string", "metadata")
    return metadata


def _boolean(params: dict[str, Any], name: str, *, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if value not in ("true", "false"):
        raise invalid_request(f"Invalid boolean: {value}", "parameter_invalid_string", name)
    return bool(value == "true")


def _choice(params: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = params.get(name, choices[0])
    if value not in choices:
        raise invalid_request(
            f"Invalid {name}: must be one of {', '.join(choices)}", "parameter_invalid_string", name
        )
    return str(value)


def _limit(params: dict[str, Any]) -> int:
    limit = _integer(params, "limit")
    if limit is None:
        return 10
    if limit < 1:
        raise invalid_request(
            "This value must be greater than or equal to 1.", "parameter_invalid_integer", "limit"
        )
    if limit > 100:
        raise invalid_request(
            "This value must be less than or equal to 100.", "parameter_invalid_integer", "limit"
        )
    return limit


def _source(params: dict[str, Any]) -> StripeCard:
    source = params.get("source")
    if source is None or source == "":
        if params.get("customer"):
            raise no_such("customer", str(params["customer"]), "customer")
        raise invalid_request("Must provide source or customer.", "parameter_missing", "source")
    if isinstance(source, str):
        card = TOKENS.get(source)
        if card is None:
            raise no_such("token", source, "source")
        return card
    number = source.get("number") if isinstance(source, dict) else None
    if not isinstance(number, str) or not number:
        raise missing_param("source[number]")
    return card_for_number(number)


def _payment_method(params: dict[str, Any]) -> str | None:
    method = params.get("payment_method")
    if method is None or method == "":
        return None
    if not isinstance(method, str) or method not in PAYMENT_METHODS:
        raise no_such("PaymentMethod", str(method), "payment_method")
    return method


def _missing_payment_method() -> StripeError:
    return invalid_request(
        "You cannot confirm this PaymentIntent because it's missing a payment method. "
        "Confirm it with a payment_method (for example pm_card_visa).",
        "payment_intent_unexpected_state",
        "payment_method",
    )
