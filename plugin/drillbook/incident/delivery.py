"""Delivering one HTTP request to a notification service: bounded retries on the Clock, and
an outcome whose every word has passed the secret masking.

Answers 429 and 5xx and failed connections are retried ``max_retries`` times with exponential
backoff (at least a 429's ``Retry-After``), slept on the drill's Clock so a virtual clock
retries in no time. Nothing here raises for what the service answers: the caller gets a
:class:`Delivery` saying whether it worked, and why not, with secrets replaced by ``********``.

httpx logs every request's URL at INFO level; a Slack webhook URL carries its token, so the
secrets registered here are masked in the ``httpx`` logger's records too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from drillbook.drill.clock import Clock
from drillbook.steps.masking import Masker

logger = logging.getLogger(__name__)
DETAIL_LIMIT = 300


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a refused delivery is tried again.

    The n-th retry waits ``backoff * 2**(n-1)`` seconds (at least a 429's ``Retry-After``),
    never more than ``max_backoff``; at most ``max_retries + 1`` requests are sent.
    """

    max_retries: int = 3
    backoff: float = 1.0
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("max_retries, backoff and max_backoff cannot be negative")

    def delay(self, attempt: int, retry_after: float = 0.0) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(max(self.backoff * 2.0 ** (attempt - 1), retry_after), self.max_backoff)


@dataclass(frozen=True)
class Delivery:
    """What became of one request: accepted or not, the last HTTP status (None when no
    answer came), how many requests were sent, a masked description, and the answer's body
    (masked text; JSON when the service answered JSON)."""

    ok: bool
    status: int | None
    attempts: int
    detail: str
    body: object = None


Answer = httpx.Response | str
"""A service's answer, or a masked description of why none came."""


@dataclass(frozen=True)
class LastAnswer:
    """The last answer to a retried request, and how many requests were sent."""

    answer: Answer
    attempts: int

    def final(self) -> httpx.Response | None:
        """The service's answer when retrying would not change it (None: retries given up)."""
        if isinstance(self.answer, httpx.Response) and not retryable(self.answer.status_code):
            return self.answer
        return None


def deliver(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    clock: Clock,
    policy: RetryPolicy,
    masker: Masker,
    what: str,
    idempotent: bool = True,
) -> Delivery:
    """Send ``method url`` until it is accepted, refused for good, or the retries run out.

    ``what`` names the request in messages (``"the Slack message"``); it must hold no secret.
    A request that is not ``idempotent`` (creating something) is only retried after a 429,
    which says it was not processed: after a 5xx or a lost connection it may have been.
    """
    last = send_with_retries(
        lambda: send_once(http, method, url, content, headers, masker),
        clock=clock,
        policy=policy,
        what=what,
        describe=lambda answer: _describe(answer, masker),
        idempotent=idempotent,
    )
    response = last.final()
    if response is not None:
        return _final(response, last.attempts, masker)
    answer = last.answer
    status = answer.status_code if isinstance(answer, httpx.Response) else None
    problem = _describe(answer, masker)
    detail = f"{what} was not delivered after {last.attempts} attempt(s): {problem}"
    return Delivery(False, status, last.attempts, detail, _body(answer, masker))


def send_with_retries(
    send: Callable[[], Answer],
    *,
    clock: Clock,
    policy: RetryPolicy,
    what: str,
    describe: Callable[[Answer], str],
    log: logging.Logger = logger,
    idempotent: bool = True,
) -> LastAnswer:
    """Call ``send`` until its answer is final (not 429 or 5xx) or the retries run out.

    Before each retry a warning goes to ``log`` (``what``, then ``describe(answer)``: both
    must hold no secret) and the policy's delay is slept on ``clock``. A request that is not
    ``idempotent`` is only retried after a 429 (see :func:`deliver`).
    """
    attempts = policy.max_retries + 1
    for attempt in range(1, attempts + 1):
        last = LastAnswer(send(), attempt)
        answer = last.answer
        if last.final() is not None or attempt == attempts:
            return last
        if not (idempotent or _rate_limited(answer)):
            return last
        delay = policy.delay(attempt, _retry_after(answer))
        log.warning(
            "%s: %s; retrying in %gs (attempt %d of %d)",
            what,
            describe(answer),
            delay,
            attempt + 1,
            attempts,
        )
        clock.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns")  # pragma: no cover


def retryable(status: int) -> bool:
    """Whether an answer with ``status`` is worth another try (rate limits, server errors)."""
    return status == 429 or status >= 500


def _rate_limited(answer: httpx.Response | str) -> bool:
    return isinstance(answer, httpx.Response) and answer.status_code == 429


def send_once(
    http: httpx.Client,
    method: str,
    url: str,
    content: bytes,
    headers: Mapping[str, str],
    masker: Masker,
) -> Answer:
    """One request: the answer, or what went wrong on the way (a masked string: no exception
    is kept, so no chain of exceptions can carry the URL, the headers or the body)."""
    try:
        return http.request(method, url, content=content, headers=dict(headers))
    except httpx.HTTPError as error:
        return masker(f"could not reach {url}: {type(error).__name__}: {error}")


def _final(response: httpx.Response, attempts: int, masker: Masker) -> Delivery:
    body = _body(response, masker)
    if response.is_success:
        return Delivery(True, response.status_code, attempts, f"HTTP {response.status_code}", body)
    return Delivery(False, response.status_code, attempts, _describe(response, masker), body)


def _describe(answer: httpx.Response | str, masker: Masker) -> str:
    if isinstance(answer, str):
        return answer
    text = masker(answer.text.strip()[:DETAIL_LIMIT]) or answer.reason_phrase
    return f"HTTP {answer.status_code}: {text}"


def _body(answer: httpx.Response | str, masker: Masker) -> object:
    if isinstance(answer, str):
        return None
    try:
        parsed: object = answer.json()
    except ValueError:
        return masker(answer.text[:DETAIL_LIMIT])
    return parsed


def _retry_after(answer: httpx.Response | str) -> float:
    """A 429's ``Retry-After`` in seconds (0 when absent or not a number of seconds)."""
    if not isinstance(answer, httpx.Response) or answer.status_code != 429:
        return 0.0
    try:
        seconds = float(answer.headers.get("Retry-After", "0"))
    except ValueError:
        return 0.0
    return seconds if seconds >= 0 else 0.0


# -- masking httpx's own log lines ---------------------------------------------------------
class _MaskingFilter(logging.Filter):
    """Rewrites records of the ``httpx`` logger with every registered secret masked."""

    def __init__(self) -> None:
        super().__init__("httpx")
        self.masker = Masker()
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        with self._lock:
            self.masker.add([secret])

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.masker(record.getMessage())
        record.args = None
        return True


_httpx_filter = _MaskingFilter()
_installed = False
_install_lock = threading.Lock()


def mask_in_http_logs(secret: str) -> None:
    """Mask ``secret`` in the lines httpx logs (it logs each request's full URL)."""
    global _installed
    with _install_lock:
        if not _installed:
            logging.getLogger("httpx").addFilter(_httpx_filter)
            _installed = True
    _httpx_filter.add(secret)
