"""Stripe's wire vocabulary for the stand-in: error objects, test cards, charge objects.

Test card numbers, ``tok_*`` tokens and ``pm_card_*`` payment methods are the ones Stripe
documents for test mode: ``tok_visa`` succeeds, ``tok_chargeDeclined`` is declined with
``card_declined``/``generic_decline``, ``4000000000009995`` has insufficient funds, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drillbook.errors import DrillbookError

ERROR_STATUS = {
    "card_error": 402,
    "api_error": 500,
    "rate_limit_error": 429,
    "invalid_request_error": 400,
    "idempotency_error": 400,
}
DOCS = "https://stripe.com/docs/error-codes/"


class StripeError(DrillbookError):
    """A Stripe error answer: status and ``{"error": {...}}`` body.

    ``executed`` says whether the request got as far as doing something (a declined
    charge did; a missing parameter did not): only executed requests are saved for
    idempotent replay, as Stripe does.
    """

    def __init__(self, status: int, error: dict[str, Any], *, executed: bool = False) -> None:
        super().__init__(str(error.get("message", "")))
        self.status = status
        self.error = error
        self.executed = executed

    def body(self) -> dict[str, Any]:
        """The response body."""
        return {"error": self.error}


def error_object(
    error_type: str,
    message: str,
    code: str | None = None,
    param: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Stripe's error object: ``type``, ``message``, and ``code``/``param``/... when set."""
    error: dict[str, Any] = {}
    if code is not None:
        error["code"] = code
        error["doc_url"] = DOCS + code
    error["message"] = message
    if param is not None:
        error["param"] = param
    error["type"] = error_type
    error.update({key: value for key, value in extra.items() if value is not None})
    return error


def invalid_request(
    message: str, code: str | None = None, param: str | None = None, status: int = 400
) -> StripeError:
    """An ``invalid_request_error`` (400 unless told otherwise), never saved for replay."""
    return StripeError(status, error_object("invalid_request_error", message, code, param))


def missing_param(param: str) -> StripeError:
    """``Missing required param: amount.``"""
    return invalid_request(f"Missing required param: {param}.", "parameter_missing", param)


def no_such(kind: str, object_id: str, param: str) -> StripeError:
    """``No such charge: 'ch_x'`` (404 for an id in the URL, 400 for one in a parameter)."""
    status = 404 if param == "id" else 400
    return invalid_request(f"No such {kind}: '{object_id}'", "resource_missing", param, status)


def native_fault_error(status: int) -> dict[str, Any]:
    """The error body Stripe answers with for ``status``, for injected faults."""
    if status == 429:
        return error_object(
            "rate_limit_error",
            "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            "rate_limit",
        )
    if status == 402:
        return error_object(
            "card_error", "Your card was declined.", "card_declined", decline_code="generic_decline"
        )
    if status == 401:
        return error_object("invalid_request_error", "Invalid API Key provided: sk_test_****")
    if status == 409:
        return error_object(
            "invalid_request_error",
            "This object cannot be accessed right now because another API request or Stripe "
            "process is currently accessing it.",
            "lock_timeout",
        )
    if 400 <= status < 500:
        return error_object("invalid_request_error", "Invalid request (injected by drillbook).")
    return error_object(
        "api_error",
        "An unknown error occurred. Try again later (injected by drillbook).",
    )


@dataclass(frozen=True)
class Decline:
    """How a test card fails: Stripe's error ``code``, ``decline_code``, message, param."""

    code: str
    decline_code: str
    message: str
    param: str | None = None


@dataclass(frozen=True)
class StripeCard:
    """A test card: its number, brand, funding, and the decline it gives (None: approved)."""

    number: str
    brand: str
    funding: str = "credit"
    decline: Decline | None = None

    @property
    def last4(self) -> str:
        return self.number[-4:]


_DECLINED = "Your card was declined."
CARDS = {
    card.number: card
    for card in (
        StripeCard("4242424242424242", "visa"),
        StripeCard("4000056655665556", "visa", "debit"),
        StripeCard("5555555555554444", "mastercard"),
        StripeCard("378282246310005", "amex"),
        StripeCard(
            "4000000000000002",
            "visa",
            decline=Decline("card_declined", "generic_decline", _DECLINED),
        ),
        StripeCard(
            "4000000000009995",
            "visa",
            decline=Decline(
                "card_declined", "insufficient_funds", "Your card has insufficient funds."
            ),
        ),
        StripeCard(
            "4000000000009987", "visa", decline=Decline("card_declined", "lost_card", _DECLINED)
        ),
        StripeCard(
            "4000000000009979", "visa", decline=Decline("card_declined", "stolen_card", _DECLINED)
        ),
        StripeCard(
            "4000000000000069",
            "visa",
            decline=Decline("expired_card", "expired_card", "Your card has expired.", "exp_month"),
        ),
        StripeCard(
            "4000000000000127",
            "visa",
            decline=Decline(
                "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc"
            ),
        ),
        StripeCard(
            "4000000000000119",
            "visa",
            decline=Decline(
                "processing_error",
                "processing_error",
                "An error occurred while processing your card. Try again in a little bit.",
            ),
        ),
        StripeCard(
            "4100000000000019", "visa", decline=Decline("card_declined", "fraudulent", _DECLINED)
        ),
    )
}
_SUFFIXES = {
    "visa": "4242424242424242",
    "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "chargeDeclined": "4000000000000002",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedLostCard": "4000000000009987",
    "chargeDeclinedStolenCard": "4000000000009979",
    "chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127",
    "chargeDeclinedProcessingError": "4000000000000119",
    "chargeDeclinedFraudulent": "4100000000000019",
}
TOKENS = {f"tok_{suffix}": CARDS[number] for suffix, number in _SUFFIXES.items()}
PAYMENT_METHODS = {f"pm_card_{suffix}": CARDS[number] for suffix, number in _SUFFIXES.items()}


def luhn_valid(number: str) -> bool:
    """Whether a card number passes the Luhn check."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(int(d) for d in reversed(number)):
        if index % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def card_for_number(number: str) -> StripeCard:
    """The test card with that number; any other valid number is an approved visa."""
    digits = number.replace(" ", "")
    if digits in CARDS:
        return CARDS[digits]
    if not luhn_valid(digits):
        raise StripeError(
            402,
            error_object(
                "card_error", "Your card number is incorrect.", "incorrect_number", "number"
            ),
        )
    return StripeCard(digits, "visa")


def card_error(decline: Decline, **extra: Any) -> StripeError:
    """The 402 ``card_error`` for a declined card (it was executed: saved for replay)."""
    error = error_object(
        "card_error",
        decline.message,
        decline.code,
        decline.param,
        decline_code=decline.decline_code,
        **extra,
    )
    return StripeError(402, error, executed=True)


def card_details(card: StripeCard) -> dict[str, Any]:
    """``payment_method_details.card`` of a charge."""
    return {
        "brand": card.brand,
        "country": "US",
        "exp_month": 12,
        "exp_year": 2034,
        "funding": card.funding,
        "last4": card.last4,
        "network": card.brand,
    }


def outcome(card: StripeCard) -> dict[str, Any]:
    """A charge's ``outcome``: approved, or declined by the issuer."""
    if card.decline is None:
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "network_status": "declined_by_network",
        "reason": card.decline.decline_code,
        "risk_level": "highest" if card.decline.decline_code == "fraudulent" else "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }
