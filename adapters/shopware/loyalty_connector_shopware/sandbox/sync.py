"""``POST /api/_action/sync``: Shopware's bulk write API, one transaction per request.

The body is either an object of operations by key (``{"write-tax": {"entity", "action", "payload"}}``)
or a list of operations (``[{"key"?, "entity", "action", "payload"}]``). ``upsert`` writes every
payload record; ``delete`` deletes the records whose primary keys the payload lists and those its
``criteria`` (or ``filter``) select. If any record fails, nothing of the request is written and the
answer is 400 with one error per violation, each pointing at ``/<key>/<index>/<field>``. The answer
otherwise is the 6.5+ shape ``{"extensions": [], "data": {entity: [ids]}, "notFound": ..., "deleted":
...}`` where empty groups are ``[]`` (PHP's empty array). The ``fail-on-error`` and
``indexing-behavior`` headers are accepted and ignored: a sandbox request always fails as a whole.
"""

from __future__ import annotations

__all__ = ["run_sync"]

from typing import Any

from .errors import ApiError, error_entry
from .filters import compile_filters
from .schema import ENTITIES
from .store import ShopStore
from .write_rules import WRITABLE
from .writer import WriteContext, Writer


def _operations(body: Any) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(body, dict):
        return [(str(key), op) for key, op in body.items()]
    if isinstance(body, list):
        return [
            (str(op.get("key", index)) if isinstance(op, dict) else str(index), op)
            for index, op in enumerate(body)
        ]
    raise ApiError.single(
        400,
        "FRAMEWORK__INVALID_SYNC_OPERATION",
        "The sync payload must be an object or a list of operations.",
    )


def run_sync(store: ShopStore, writer: Writer, body: Any) -> dict[str, Any]:
    """Execute a sync request; raise :class:`ApiError` (with everything rolled back) if it fails."""
    operations = _operations(body)
    before = store.clock.now_ms()
    context = WriteContext(now_ms=store.clock.tick())
    try:
        for key, operation in operations:
            _run(store, writer, context, key, operation)
            if context.errors:
                break
        writer.finish(context)
    except ApiError:
        writer.rollback(context)
        store.clock.restore(before)
        raise
    return {
        "extensions": [],
        "data": context.written or [],
        "notFound": context.not_found or [],
        "deleted": context.deleted or [],
    }


def _run(store: ShopStore, writer: Writer, context: WriteContext, key: str, operation: Any) -> None:
    pointer = f"/{key}"
    if not isinstance(operation, dict):
        raise ApiError.single(
            400,
            "FRAMEWORK__INVALID_SYNC_OPERATION",
            f'Sync operation "{key}" must be an object.',
            pointer=pointer,
        )
    name, action = operation.get("entity"), operation.get("action")
    definition = ENTITIES.get(str(name))
    if definition is None:
        raise ApiError.single(
            400,
            "FRAMEWORK__DEFINITION_NOT_FOUND",
            f'Definition for entity "{name}" does not exist.',
            pointer=pointer,
        )
    payload = operation.get("payload") or []
    if not isinstance(payload, list):
        raise ApiError.single(
            400,
            "FRAMEWORK__INVALID_SYNC_OPERATION",
            f'Sync operation "{key}": payload must be a list.',
            pointer=pointer,
        )
    if action == "upsert":
        for index, item in enumerate(payload):
            writer.upsert(context, definition, item, f"{pointer}/{index}")
        return
    if action != "delete":
        raise ApiError.single(
            400,
            "FRAMEWORK__INVALID_SYNC_OPERATION",
            f'Sync operation "{key}": action "{action}" is not valid, use "upsert" or "delete".',
            pointer=f"{pointer}/action",
        )
    keys: list[tuple[str, str]] = []
    primary = [f.name for f in definition.fields.values() if f.primary]
    for index, item in enumerate(payload):
        if not isinstance(item, dict) or any(
            item.get(name) is None for name in primary if name != "versionId"
        ):
            context.errors.append(
                error_entry(
                    400,
                    "FRAMEWORK__INVALID_SYNC_OPERATION",
                    "A delete needs the primary key of the record.",
                    pointer=f"{pointer}/{index}",
                )
            )
            continue
        keys.append(("-".join(str(item[n]) for n in primary if n != "versionId"), f"{pointer}/{index}"))
    filters = operation.get("criteria") or operation.get("filter") or []
    if filters:
        predicate = compile_filters(store, definition, list(filters), f"{pointer}/criteria")
        for row in store.tables[definition.name].all_rows():
            if predicate is None or predicate(row):
                keys.append((store.key_of(definition.name, row), f"{pointer}/criteria"))
    if definition.name not in WRITABLE:
        context.errors.append(
            error_entry(
                400,
                "SANDBOX__ENTITY_NOT_WRITABLE",
                f'The sandbox does not accept writes for entity "{definition.name}".',
                pointer=pointer,
            )
        )
        return
    for record_key, where in keys:
        if store.get(definition.name, record_key) is None and record_key in context.deleted.get(
            definition.name, []
        ):
            continue
        writer.delete(context, definition, record_key, where)
