"""Opaque pagination tokens that cannot be forged into reading another partition.

A token is base64url(JSON {"p": partition, "k": LastEvaluatedKey}) + "." + base64url(HMAC-SHA256 of that JSON).
Decoding checks the signature, that the token was issued for the partition now being read, and that the key it
carries lies in that partition; any failure is the same InvalidInputError, so a probe learns nothing. A list whose
pages also depend on a filter (the speaker directory's q and type) binds its tokens to that too (`scope`, "s").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable

from whosaid.errors import InvalidInputError

INVALID_TOKEN_MESSAGE = "next_token is invalid: pass the next_token of the previous page unchanged, or omit it"
MAX_TOKEN_CHARS = 2_048
_SIGNATURE_BYTES = 16


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenCodec:
    """Signs and checks next_token values with one key per deployment.

    `secret` is the key, or a function returning it: a key kept in Secrets Manager is then read (and cached by its
    reader) when a token is first signed or checked, not when the codec is built, so code that never paginates (the
    ingest function) never reads it.
    """

    def __init__(self, secret: bytes | Callable[[], bytes]) -> None:
        self._secret = secret

    def _sign(self, payload: bytes) -> bytes:
        key = self._secret() if callable(self._secret) else self._secret
        return hmac.new(key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def encode(self, partition: str, last_key: dict[str, str] | None, *, scope: str | None = None) -> str | None:
        """The token for the page after `last_key` (a LastEvaluatedKey of string attributes), None if no more."""
        if not last_key:
            return None
        fields: dict[str, object] = {"p": partition, "k": last_key}
        if scope is not None:
            fields["s"] = scope
        payload = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def decode(
        self, token: str | None, partition: str, partition_attribute: str, *, scope: str | None = None
    ) -> dict[str, str] | None:
        """The ExclusiveStartKey a token stands for, after checking it belongs to `partition` (and `scope`)."""
        if token is None:
            return None
        try:
            if len(token) > MAX_TOKEN_CHARS:
                raise ValueError("too long")
            body, _, signature = token.partition(".")
            payload = _b64decode(body)
            if not hmac.compare_digest(_b64decode(signature), self._sign(payload)):
                raise ValueError("bad signature")
            fields = json.loads(payload)
            key = fields["k"]
            if fields["p"] != partition or not isinstance(key, dict) or key.get(partition_attribute) != partition:
                raise ValueError("other partition")
            if fields.get("s") != scope:
                raise ValueError("other query")
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in key.items()):
                raise ValueError("bad key")
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidInputError(INVALID_TOKEN_MESSAGE, code="invalid_next_token") from exc
        return key


def codec_secret(configured: str | None, table_name: str) -> bytes:
    """A signing key from a configured value (WHOSAID_PAGINATION_SECRET, or the generated secret's value), else one
    derived from the table name (local runs and tests; the deployed stack generates one, see service/secrets.py).

    The derived key is not secret, so with it a token can be re-signed by someone who knows the table name; it still
    cannot cross partitions, because the partition is checked against the request on every read.
    """
    if configured:
        return configured.encode("utf-8")
    return hashlib.sha256(f"whosaid-next-token:{table_name}".encode()).digest()
