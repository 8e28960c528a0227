"""The one masking function every piece of output passes through before anyone sees it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = "********"

SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL|ROUTING_KEY|DSN)", re.I
)
# The scheme is bounded ({0,40}): unbounded, a long run of letters made masking quadratic.
_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]{0,40}://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@", re.I
)
# "Bearer <token>" anywhere, "Basic <credentials>" only after an Authorization header name:
# prose such as "Test basic functionality" must stay readable.
_BEARER = re.compile(
    r"(?P<head>\b[Bb]earer\s+|\bAuthorization:\s*[Bb]asic\s+)[A-Za-z0-9._~+/=-]{8,}"
)
MIN_SECRET_LENGTH = 4


class Masker:
    """Replaces every known secret value, URL passwords and bearer tokens with ``********``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for value in secrets:
            if value and len(value) >= MIN_SECRET_LENGTH:
                self._secrets.add(value)

    @classmethod
    def for_environment(cls, env: Mapping[str, str], secret_names: Iterable[str] = ()) -> Masker:
        """Secrets are the values of declared secret vars and of names that look secret."""
        declared = set(secret_names)
        values = [value for name, value in env.items() if name in declared or is_secret_name(name)]
        return cls(values)

    def __call__(self, text: str) -> str:
        return self.mask(text)

    def mask(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
        return _BEARER.sub(lambda m: f"{m['head']}{MASK}", text)


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))
