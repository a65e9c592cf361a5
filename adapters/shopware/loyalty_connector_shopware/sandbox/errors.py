"""Shopware's error envelope and the errors the sandbox answers with.

Every Shopware API error is ``{"errors": [{"status", "code", "title", "detail", "meta"?, "source"?}]}``
with ``status`` as a *string*. OAuth errors keep league/oauth2-server's numeric codes (``"4"`` invalid
client, ``"6"`` invalid credentials, ``"8"`` invalid refresh token, ``"9"`` access denied).
"""

from __future__ import annotations

__all__ = ["ApiError", "error_entry", "fault_body", "not_found_resource", "route_not_found"]

from http import HTTPStatus
from typing import Any


def error_entry(
    status: int,
    code: str,
    detail: str | None,
    *,
    title: str | None = None,
    pointer: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One entry of ``errors`` in the order Shopware's ``ShopwareHttpException`` writes it."""
    entry: dict[str, Any] = {
        "status": str(status),
        "code": code,
        "title": title if title is not None else HTTPStatus(status).phrase,
        "detail": detail,
    }
    if pointer is not None:
        entry["source"] = {"pointer": pointer}
    if parameters is not None:
        entry["meta"] = {"parameters": parameters}
    return entry


class ApiError(Exception):
    """Raised by a route: becomes an HTTP answer with Shopware's error envelope."""

    def __init__(
        self, status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status}: " + "; ".join(str(e.get("detail") or e.get("title")) for e in errors))
        self.status = status
        self.errors = errors
        self.headers = headers or {}

    @classmethod
    def single(cls, status: int, code: str, detail: str | None, **kwargs: Any) -> ApiError:
        return cls(status, [error_entry(status, code, detail, **kwargs)])

    def body(self) -> dict[str, Any]:
        return {"errors": self.errors}


def not_found_resource(entity: str, key: str) -> ApiError:
    """``FRAMEWORK__RESOURCE_NOT_FOUND`` for ``GET/PATCH/DELETE /api/{entity}/{id}`` of an unknown id."""
    return ApiError.single(
        404,
        "FRAMEWORK__RESOURCE_NOT_FOUND",
        f"The {entity} resource with the following primary key was not found: id({key})",
        parameters={"type": entity, "primaryKey": f"id({key})"},
    )


def route_not_found(method: str, url: str) -> ApiError:
    """Symfony's answer for a path no route matches."""
    return ApiError.single(404, "0", f'No route found for "{method} {url}"')


_FAULT_CODES = {
    429: ("FRAMEWORK__RATE_LIMIT_EXCEEDED", "Too many requests, try again later."),
    500: ("0", "An unexpected error occurred."),
    502: ("0", "The upstream server returned an invalid response."),
    503: ("0", "The service is temporarily unavailable."),
    504: ("0", "The upstream server did not answer in time."),
}


def fault_body(status: int) -> dict[str, Any]:
    """The envelope of an injected 429/5xx fault."""
    code, detail = _FAULT_CODES.get(status, ("0", HTTPStatus(status).phrase))
    return {"errors": [error_entry(status, code, detail)]}
