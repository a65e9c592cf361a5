"""Magento's Web API error bodies, raised inside route handlers as :class:`WebapiError`.

Magento renders exceptions as ``{"message": ..., "parameters": ...}`` where ``message`` keeps its
``%placeholders``: positional ``%1`` placeholders come with a list, named ones with an object.
An input exception with several errors becomes ``"One or more input exceptions have occurred."``
with an ``errors`` list. The builders below produce exactly those shapes.
"""

from __future__ import annotations

__all__ = [
    "WebapiError",
    "already_exists",
    "consumer_not_authorized",
    "entity_not_found",
    "input_errors",
    "masked_internal_error",
    "no_route",
    "no_such_entity",
    "no_such_entity_field",
    "required_field",
    "type_mismatch",
]

from typing import Any

NO_ROUTE_MESSAGE = "Request does not match any route."
NOT_AUTHORIZED_MESSAGE = "The consumer isn't authorized to access %resources."
REQUIRED_MESSAGE = '"%fieldName" is required. Enter and try again.'
AGGREGATE_MESSAGE = "One or more input exceptions have occurred."


class WebapiError(Exception):
    """An error response a route handler returns by raising: HTTP status plus Magento's JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("message", "")))
        self.status = status
        self.body = body

    @classmethod
    def of(
        cls, status: int, message: str, parameters: list[Any] | dict[str, Any] | None = None
    ) -> WebapiError:
        body: dict[str, Any] = {"message": message}
        if parameters is not None:
            body["parameters"] = parameters
        return cls(status, body)


def no_route() -> WebapiError:
    """404 for an unknown route, an unknown store code or a method the route does not have."""
    return WebapiError.of(404, NO_ROUTE_MESSAGE)


def consumer_not_authorized(resources: list[str]) -> WebapiError:
    """401 for a missing ACL grant, missing or unusable credentials (all look identical)."""
    return WebapiError.of(401, NOT_AUTHORIZED_MESSAGE, {"resources": ", ".join(resources)})


def entity_not_found() -> WebapiError:
    """404 of the sales repositories (orders, credit memos) for an unknown id."""
    return WebapiError.of(
        404, "The entity that was requested doesn't exist. Verify the entity and try again."
    )


def no_such_entity() -> WebapiError:
    """404 of ``NoSuchEntityException()`` without arguments (sales rules, coupons)."""
    return WebapiError.of(404, "No such entity.")


def no_such_entity_field(field: str, value: Any) -> WebapiError:
    """404 of ``NoSuchEntityException::singleField`` with named parameters."""
    return WebapiError.of(
        404, "No such entity with %fieldName = %fieldValue", {"fieldName": field, "fieldValue": value}
    )


def required_field(field: str) -> dict[str, Any]:
    """One ``"%fieldName" is required`` error, for :func:`input_errors`."""
    return {"message": REQUIRED_MESSAGE, "parameters": {"fieldName": field}}


def input_errors(errors: list[dict[str, Any]]) -> WebapiError:
    """400 of an ``InputException``: the single error itself, or the aggregate with ``errors``."""
    if len(errors) == 1:
        return WebapiError(400, dict(errors[0]))
    return WebapiError(400, {"message": AGGREGATE_MESSAGE, "errors": errors})


def already_exists(what: str) -> WebapiError:
    """400 of ``AlreadyExistsException`` from a unique field: ``"%1 already exists."``."""
    return WebapiError.of(400, "%1 already exists.", [what])


def type_mismatch(value: str, expected: str) -> WebapiError:
    """400 when a request value cannot be converted to the declared type (e.g. ``pageSize=abc``)."""
    return WebapiError.of(
        400,
        'The "%value" value\'s type is invalid. The "%type" type was expected. Verify and try again.',
        {"value": value, "type": expected},
    )


def masked_internal_error(report_id: str) -> WebapiError:
    """500 in production mode: the real error (e.g. an unknown SQL column) is only in the log."""
    return WebapiError.of(
        500, f"Internal Error. Details are available in Magento log file. Report ID: {report_id}"
    )
