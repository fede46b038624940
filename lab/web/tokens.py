"""Signed bearer tokens: ``base64url(claims JSON) . base64url(HMAC-SHA256(secret, first part))``.

The signature is checked with :func:`hmac.compare_digest` (constant time) before the claims
are read; then the expiry. Every failure is a :class:`TokenError` with the reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

__all__ = ["Claims", "TokenError", "Verifier", "issue", "verify"]


class TokenError(ValueError):
    """A token that is missing, malformed, forged or expired."""


@dataclass(frozen=True)
class Claims:
    """Who the token speaks for, in which role, until when (seconds since the epoch)."""

    subject: str
    role: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def issue(secret: bytes, subject: str, role: str, expires: int) -> str:
    """A token for ``subject`` in ``role``, valid until ``expires`` (epoch seconds)."""
    payload = _b64(json.dumps({"sub": subject, "role": role, "exp": int(expires)}).encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify(secret: bytes, token: str, now: float) -> Claims:
    """The claims of ``token`` if its signature is ``secret``'s and it has not expired at ``now``."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature or "." in signature or not token.isascii():
        raise TokenError("malformed token")
    if not hmac.compare_digest(_sign(secret, payload), signature):
        raise TokenError("invalid signature")
    try:
        claims = json.loads(_unb64(payload))
        result = Claims(str(claims["sub"]), str(claims["role"]), int(claims["exp"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise TokenError("malformed claims") from None
    if result.expires <= now:
        raise TokenError("token expired")
    return result


class Verifier:
    """:func:`verify` for one secret, remembering the tokens whose signature it has checked.

    A token's signature and claims never change, so a client sending the same token on
    every request pays for the HMAC and the JSON once; the expiry is still checked on
    every call. A forged token is another string, never found here. At most ``size``
    tokens are kept (all forgotten when full).
    """

    def __init__(self, secret: bytes, size: int = 4096) -> None:
        self.secret = secret
        self.size = size
        self._checked: dict[str, Claims] = {}

    def __call__(self, token: str, now: float) -> Claims:
        claims = self._checked.get(token)
        if claims is None:
            claims = verify(self.secret, token, now)
            if len(self._checked) >= self.size:
                self._checked.clear()
            self._checked[token] = claims
        elif claims.expires <= now:
            raise TokenError("token expired")
        return claims
