"""Redaction of secrets, and safe short error texts, for everything the HTTP client logs or raises.

Shops echo credentials back (in URLs, error bodies, OAuth parameters) and their bodies hold personal
data, so every log line and exception message built from a request or response passes through here.
"""

from __future__ import annotations

__all__ = ["BODY_PEEK", "RedactingFilter", "fallback_message", "redact", "scrub", "secrets_in", "shorten"]

import itertools
import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import requests

_MESSAGE_LIMIT = 200
BODY_PEEK = 4096
"""Most bytes of a response body ever looked at for an error message."""

_REDACTED = "[REDACTED]"
_KEY = (
    r"[\w-]{0,40}?(?:password|passwd|secret|token|signature|authorization|"
    r"api[_-]?key|consumer[_-]?key|access[_-]?key)[\w-]{0,40}"
)
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(rf"""(["'])({_KEY})\1(\s*:\s*)(["'])(?:\\[\s\S]|(?!\4)[^\\])*(?:\4|\\?$)""", re.I),
        rf"\1\2\1\3\4{_REDACTED}\4",
    ),
    (re.compile(rf"""(?<![\w-])({_KEY})=(["'])[^"']*\2""", re.I), rf"\1=\2{_REDACTED}\2"),
    (re.compile(rf"""(?<![\w-])({_KEY})=(?!["'])[^&\s"',;]*""", re.I), rf"\1={_REDACTED}"),
    (re.compile(r"\b(bearer|basic)\s+[\w\-.~+/]+=*", re.I), rf"\1 {_REDACTED}"),
    # ('oauth_token', 'value') pairs, as oauthlib logs its collected parameters at DEBUG
    (re.compile(rf"""(["'])({_KEY})\1(,\s*)(["'])(?:(?!\4).)*\4""", re.I), rf"\1\2\1\3\4{_REDACTED}\4"),
    # percent-encoded pairs inside an OAuth 1.0a signature base string: oauth_token%3D...%26
    (re.compile(rf"(?<![\w-])({_KEY})%3D(?:(?!%26)[^\s&])*", re.I), rf"\1%3D{_REDACTED}"),
    (
        re.compile(
            r"(?<![\w-])((?:proxy-)?authorization|cookie|x-api-key|sw-access-key)(\s*:\s*)\S[^\r\n]*", re.I
        ),
        rf"\1\2{_REDACTED}",
    ),
    (
        re.compile(rf"""(?<![\w-])({_KEY})(\s*:\s*)(?![\s"'\[{{]|{re.escape(_REDACTED)})[^\s,;&}}]+""", re.I),
        rf"\1\2{_REDACTED}",
    ),
)
_SECRET_NAME = re.compile(_KEY, re.I)


def scrub(text: str, secrets: frozenset[str]) -> str:
    """Replace the exact credential values in ``secrets`` (longest first), then :func:`redact` the rest."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, _REDACTED)
    return redact(text)


def redact(text: str) -> str:
    """Blank out credentials in ``text``: bearer/basic tokens, ``Authorization`` values, OAuth 1.0a
    parameters, and password/token/secret/signature values in query strings, forms and JSON-ish text.
    """
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that runs :func:`redact` over each record's message and traceback.

    Attach it to the handlers of an application (the CLI does) so that no log line from any
    library carries a credential. The client attaches it to urllib3's loggers, which print URLs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def secrets_in(headers: Mapping[str, str], json_body: Any) -> frozenset[str]:
    """Exact credential values this request carries, to scrub from anything the shop echoes back."""
    values: set[str] = set()
    for name, value in headers.items():
        if _SECRET_NAME.search(name) or name.lower() in ("x-api-key", "sw-access-key"):
            _, _, credentials = value.partition(" ")
            values.add(value)
            values.update(re.findall(r'=\s*"([^"]+)"', credentials) or [credentials])
    if isinstance(json_body, Mapping):
        values.update(
            v for k, v in json_body.items() if isinstance(v, str) and _SECRET_NAME.fullmatch(str(k))
        )
    return frozenset(itertools.chain.from_iterable((v, unquote(v)) for v in values if len(v) >= 6))


def shorten(text: str, limit: int = _MESSAGE_LIMIT) -> str:
    text = " ".join(text.split()).rstrip(" .")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fallback_message(response: requests.Response) -> str:
    """The error text of a body no ``error_parser`` read: its message field, or the start of a non-JSON
    body. Never the whole body (it may hold personal data); the caller redacts, then shortens it.
    """
    reason = response.reason or "no reason given"
    try:
        data = json.loads(response.content)
    except ValueError:
        text = response.content[:BODY_PEEK].decode("utf-8", errors="replace")
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        snippet = title.group(1) if title else re.sub(r"<[^>]*>", " ", text)
        return snippet if snippet.strip() else reason
    return _json_message(data) or f"{reason} (no message in the response)"


def _json_message(data: Any, depth: int = 0) -> str | None:
    if isinstance(data, str) or depth > 3:
        return data if isinstance(data, str) else None
    if isinstance(data, list):
        return _json_message(data[0], depth + 1) if data else None
    if isinstance(data, dict):
        for key in ("message", "error_description", "detail", "title", "error", "errors"):
            found = _json_message(data.get(key), depth + 1)
            if found:
                return found
    return None
