"""A stand-in for an OAuth 2 / OpenID Connect provider that issues RS256 JWTs.

- ``POST /oauth/token``: ``client_credentials`` and ``password`` grants, parameters as a
  form or as JSON, client credentials as HTTP Basic or as ``client_id``/``client_secret``;
- ``GET /.well-known/jwks.json``: the public key (generated at start) as a JWK set;
- ``GET /.well-known/openid-configuration``: where everything is;
- ``GET /userinfo``: the profile of the user a Bearer token was issued to.

Errors are RFC 6749/6750 objects: a wrong password is 401 ``{"error": "invalid_grant"}``,
a wrong client secret 401 ``invalid_client``, a bad token 401 ``invalid_token``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote_plus

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from drillbook.errors import DrillbookError
from drillbook.fakes.base import Fake, Option
from drillbook.fakes.web import BodyError, Request, Response, Route, json_response

DEFAULT_USERS = {"ada": "correct horse"}
DEFAULT_CLIENTS = {"drillbook": "drillbook-secret"}
DEFAULT_AUDIENCE = "drillbook"
DEFAULT_TTL = 3600
ALGORITHM = "RS256"
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


@dataclass(frozen=True)
class Client:
    """A client that named itself; ``authenticated`` when it also proved its secret."""

    id: str
    authenticated: bool


class OAuthError(DrillbookError):
    """An OAuth error answer: status, ``error`` code, description, extra headers."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = dict(headers or {})

    def response(self) -> Response:
        """The JSON error response."""
        payload = {"error": self.error, "error_description": self.description}
        return json_response(self.status, payload, {**NO_STORE, **self.headers})


def parse_pairs(text: str) -> dict[str, str]:
    """``ada:correct horse,bob:hunter2``: names and secrets (secrets may hold spaces)."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, secret = item.partition(":")
        if not sep or not name:
            raise ValueError(f"{item!r} is not name:secret")
        pairs[name] = secret
    return pairs


class AuthFake(Fake):
    """The OAuth/OIDC stand-in (see the module description)."""

    name = "auth"
    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "users": Option("users and passwords, e.g. 'ada:correct horse,bob:pw'", parse_pairs),
        "clients": Option("client ids and secrets, e.g. 'drillbook:drillbook-secret'", parse_pairs),
        "audience": Option("the 'aud' claim of issued tokens (default drillbook)", str),
        "issuer": Option("the 'iss' claim (default: http://<Host header>)", str),
        "token_ttl": Option("seconds an access token lives (default 3600)", int),
    }

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        clients: Mapping[str, str] | None = None,
        audience: str = DEFAULT_AUDIENCE,
        issuer: str | None = None,
        token_ttl: int = DEFAULT_TTL,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        if token_ttl < 1:
            raise ValueError(f"token_ttl must be at least 1 second, not {token_ttl}")
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.clients = dict(DEFAULT_CLIENTS if clients is None else clients)
        self.audience = audience
        self.issuer = issuer
        self.token_ttl = token_ttl
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = self.private_key.public_key()
        self.kid = self.random_id("key-", 16)
        self.issued: list[dict[str, Any]] = []

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/oauth/token", self._token),
            Route("GET", "/.well-known/jwks.json", self._jwks),
            Route("GET", "/.well-known/openid-configuration", self._configuration),
            Route("GET", "/userinfo", self._userinfo),
        ]

    def state(self) -> dict[str, Any]:
        return {"users": sorted(self.users), "clients": sorted(self.clients), "issued": self.issued}

    def reset(self) -> None:
        self.issued = []

    def fault_body(self, status: int) -> Any:
        error = "temporarily_unavailable" if status >= 500 else "invalid_request"
        return {"error": error, "error_description": "injected by drillbook"}

    def jwks(self) -> dict[str, Any]:
        """The JWK set that verifies every token this provider issues."""
        key = RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        return {"keys": [{**key, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A JWT with ``claims``, signed with the provider's key."""
        return jwt.encode(dict(claims), self.private_key, ALGORITHM, headers={"kid": self.kid})

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this provider issued and that is still valid, or OAuthError."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as error:
            raise _invalid_token(f"the token is not valid here: {error}") from None
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= self.now():
            raise _invalid_token("the token has expired")
        return claims

    # --- endpoints ------------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        try:
            params = _token_params(request)
            client = self._client(request, params)
            grant = params.get("grant_type")
            subject, extra = self._grant(grant, params, client)
        except OAuthError as error:
            return error.response()
        scope = params.get("scope") if isinstance(params.get("scope"), str) else None
        token = self._issue(request, subject, str(grant), scope, client, extra)
        payload: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
        }
        if scope:
            payload["scope"] = scope
        return json_response(200, payload, NO_STORE)

    def _jwks(self, request: Request) -> Response:
        return json_response(200, self.jwks())

    def _configuration(self, request: Request) -> Response:
        issuer = self._issuer(request)
        return json_response(
            200,
            {
                "issuer": issuer,
                "token_endpoint": f"{issuer}/oauth/token",
                "jwks_uri": f"{issuer}/.well-known/jwks.json",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "grant_types_supported": ["client_credentials", "password"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "id_token_signing_alg_values_supported": [ALGORITHM],
            },
        )

    def _userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return OAuthError(
                401,
                "invalid_request",
                "send the access token as 'Authorization: Bearer <token>'",
                {"www-authenticate": 'Bearer realm="drillbook"'},
            ).response()
        try:
            claims = self.verify(token.strip())
        except OAuthError as error:
            return error.response()
        user = claims.get("sub")
        if claims.get("gty") == "client-credentials" or user not in self.users:
            return OAuthError(
                403,
                "insufficient_scope",
                "the token was issued to a client, not a user: there is no user to describe",
                {"www-authenticate": 'Bearer error="insufficient_scope"'},
            ).response()
        return json_response(200, _profile(str(user)))

    # --- grants ---------------------------------------------------------------------------------

    def _client(self, request: Request, params: dict[str, Any]) -> Client | None:
        """The client that made the request (None when it named none), or invalid_client."""
        client_id, secret, basic = _client_credentials(request, params)
        if client_id is None:
            return None
        known = self.clients.get(client_id)
        if known is None or (secret is not None and secret != known) or (basic and not secret):
            headers = {"www-authenticate": 'Basic realm="drillbook"'} if basic else {}
            raise OAuthError(401, "invalid_client", "client authentication failed", headers)
        return Client(client_id, authenticated=secret is not None)

    def _grant(
        self, grant: Any, params: dict[str, Any], client: Client | None
    ) -> tuple[str, dict[str, Any]]:
        if not grant:
            raise OAuthError(400, "invalid_request", "the request has no grant_type")
        if grant == "client_credentials":
            if client is None or not client.authenticated:
                raise OAuthError(
                    401,
                    "invalid_client",
                    "client_credentials needs the client's id and secret (Basic or in the body)",
                )
            return client.id, {"gty": "client-credentials"}
        if grant == "password":
            username, password = params.get("username"), params.get("password")
            if not isinstance(username, str) or not isinstance(password, str) or not username:
                raise OAuthError(
                    400, "invalid_request", "the password grant needs username and password"
                )
            if self.users.get(username) != password:
                raise OAuthError(401, "invalid_grant", "Wrong username or password.")
            return username, {"gty": "password"}
        raise OAuthError(
            400, "unsupported_grant_type", f"grant_type {grant!r} is not supported here"
        )

    def _issue(
        self,
        request: Request,
        subject: str,
        grant: str,
        scope: str | None,
        client: Client | None,
        extra: dict[str, Any],
    ) -> str:
        issued_at = int(self.now())
        claims: dict[str, Any] = {
            "iss": self._issuer(request),
            "sub": subject,
            "aud": self.audience,
            "iat": issued_at,
            "exp": issued_at + self.token_ttl,
            "jti": self.random_id("", 20),
            **extra,
        }
        if client is not None:
            claims["azp"] = client.id
        if scope:
            claims["scope"] = scope
        self.issued.append(
            {"jti": claims["jti"], "sub": subject, "grant_type": grant, "exp": claims["exp"]}
        )
        request.extras["subject"] = subject
        return self.sign(claims)

    def _issuer(self, request: Request) -> str:
        if self.issuer is not None:
            return self.issuer
        return f"http://{request.headers.get('host', 'localhost')}"


def _token_params(request: Request) -> dict[str, Any]:
    try:
        params = request.params_by_content_type()
    except BodyError as error:
        raise OAuthError(400, "invalid_request", str(error)) from None
    return {key: value for key, value in params.items() if isinstance(key, str)}


def _client_credentials(
    request: Request, params: dict[str, Any]
) -> tuple[str | None, str | None, bool]:
    """Client id and secret from Basic auth (URL-decoded, as RFC 6749 says) or the body."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded.strip():
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(
                401, "invalid_client", "the Basic credentials are not base64 of id:secret"
            ) from None
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret), True
    named = params.get("client_id")
    given = params.get("client_secret")
    return (
        named if isinstance(named, str) and named else None,
        given if isinstance(given, str) else None,
        False,
    )


def _invalid_token(description: str) -> OAuthError:
    quoted = description.replace("\\", "/").replace('"', "'")
    header = f'Bearer error="invalid_token", error_description="{quoted}"'
    return OAuthError(401, "invalid_token", description, {"www-authenticate": header})


def _profile(username: str) -> dict[str, Any]:
    return {
        "sub": username,
        "preferred_username": username,
        "name": username.title(),
        "email": f"{username}@example.test",
        "email_verified": True,
    }
