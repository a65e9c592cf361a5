"""Serializing records as the Admin API does: plain JSON or JSON:API, with associations and includes.

``Accept: application/json`` gives ``{"total", "data": [records], "aggregations"}`` with each record
a full entity (requested associations filled in, all others ``null``). ``Accept:
application/vnd.api+json`` or ``*/*`` (the Admin API's default) gives JSON:API: ``data`` resources
with ``attributes`` and ``relationships``, loaded associations in ``included``, ``links`` and
``meta {totalCountMode, total}``. ``includes`` keeps only the listed fields of each ``apiAlias``
(``apiAlias`` itself always stays), as ``JsonEntityEncoder`` does.
"""

from __future__ import annotations

__all__ = ["Renderer", "wants_json_api"]

import math
from typing import Any

from .criteria import Criteria
from .schema import ENTITIES, EntityDef
from .search import filter_related
from .store import Record, ShopStore


def wants_json_api(accept: str | None) -> bool:
    """The Admin API answers JSON:API unless the client asks for ``application/json``."""
    if not accept:
        return True
    media = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return not ("application/json" in media and "application/vnd.api+json" not in media)


def _kebab(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name)


class Renderer:
    """Turns rows plus their criteria into response bodies for one request."""

    def __init__(self, store: ShopStore, base_url: str, includes: dict[str, list[str]] | None) -> None:
        self.store = store
        self.base_url = base_url
        self.includes = includes or {}
        self._allowed = {alias: frozenset(fields) for alias, fields in self.includes.items()}
        """``includes`` as sets: each rendered record tests every one of its keys against them."""
        self._struct_aliases = {alias for alias in self.includes if alias not in ENTITIES}

    # plain JSON ----------------------------------------------------------------------------------

    def record(self, entity: EntityDef, row: Record, criteria: Criteria) -> dict[str, Any]:
        """One record with the associations ``criteria`` loads, filtered by ``includes``."""
        out = dict(row)
        for name, nested in criteria.associations.items():
            association = entity.associations[name]
            target = ENTITIES[association.entity]
            related = self.store.related(row, association)
            if association.to_many:
                out[name] = [
                    self.record(target, r, nested) for r in filter_related(self.store, related, nested)
                ]
            else:
                out[name] = self.record(target, related[0], nested) if related else None
        if self._struct_aliases:
            out = {key: self._struct(value) for key, value in out.items()}
        allowed = self._allowed.get(entity.name)
        if allowed is not None:
            out = {key: value for key, value in out.items() if key in allowed}
            out["apiAlias"] = entity.name
        return out

    def _struct(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._struct(item) for item in value]
        if not isinstance(value, dict):
            return value
        alias = value.get("apiAlias")
        result = {key: self._struct(item) for key, item in value.items()}
        if isinstance(alias, str) and alias in self._struct_aliases:
            allowed = self._allowed[alias]
            result = {key: item for key, item in result.items() if key in allowed}
            result["apiAlias"] = alias
        return result

    def search_json(
        self, entity: EntityDef, rows: list[Record], criteria: Criteria, total: int
    ) -> dict[str, Any]:
        return {
            "total": total,
            "data": [self.record(entity, row, criteria) for row in rows],
            "aggregations": [],
        }

    # JSON:API ------------------------------------------------------------------------------------

    def resource(
        self,
        entity: EntityDef,
        row: Record,
        criteria: Criteria,
        included: dict[tuple[str, str], dict[str, Any]],
    ) -> dict[str, Any]:
        """One JSON:API resource; loaded associations go to ``included`` (deduplicated)."""
        record_id = str(row.get("id"))
        own = f"{self.base_url}/api/{entity.route}/{record_id}"
        skip = {"id", "extensions", "_uniqueIdentifier", "apiAlias"}
        attributes = {k: v for k, v in row.items() if k not in entity.associations and k not in skip}
        if self._struct_aliases:
            attributes = {key: self._struct(value) for key, value in attributes.items()}
        attributes["apiAlias"] = None
        relationships: dict[str, Any] = {}
        for name, association in entity.associations.items():
            relationship: dict[str, Any] = {
                "data": [] if association.to_many else None,
                "links": {"related": f"{own}/{_kebab(name)}"},
            }
            nested = criteria.associations.get(name)
            if nested is not None:
                target = ENTITIES[association.entity]
                related = self.store.related(row, association)
                related = filter_related(self.store, related, nested) if association.to_many else related[:1]
                links = []
                for item in related:
                    key = (target.name, str(item.get("id")))
                    links.append({"type": target.name, "id": key[1]})
                    if key not in included:
                        included[key] = {}
                        included[key] = self.resource(target, item, nested, included)
                relationship["data"] = links if association.to_many else (links[0] if links else None)
            relationships[name] = relationship
        allowed = self._allowed.get(entity.name)
        if allowed is not None:
            attributes = {k: v for k, v in attributes.items() if k in allowed or k == "apiAlias"}
            relationships = {k: v for k, v in relationships.items() if k in allowed}
        return {
            "id": record_id,
            "type": entity.name,
            "attributes": attributes,
            "links": {"self": own},
            "relationships": relationships,
            "meta": None,
        }

    def search_json_api(
        self, entity: EntityDef, rows: list[Record], criteria: Criteria, total: int
    ) -> dict[str, Any]:
        included: dict[tuple[str, str], dict[str, Any]] = {}
        data = [self.resource(entity, row, criteria, included) for row in rows]
        own_keys = {(entity.name, item["id"]) for item in data}
        return {
            "data": data,
            "included": [res for key, res in included.items() if key not in own_keys],
            "links": self._links(entity, criteria, total, len(rows)),
            "meta": {"totalCountMode": criteria.total_count_mode, "total": total},
            "aggregations": [],
        }

    def detail_json_api(self, entity: EntityDef, row: Record, criteria: Criteria) -> dict[str, Any]:
        included: dict[tuple[str, str], dict[str, Any]] = {}
        data = self.resource(entity, row, criteria, included)
        return {
            "data": data,
            "included": [res for key, res in included.items() if key != (entity.name, data["id"])],
            "links": {"self": f"{self.base_url}/api/{entity.route}/{data['id']}"},
        }

    def _links(self, entity: EntityDef, criteria: Criteria, total: int, count: int) -> dict[str, str]:
        own = f"{self.base_url}/api/search/{entity.route}"
        limit = criteria.limit
        if not limit:
            return {"self": own}
        links = {"first": f"{own}?limit={limit}&page=1"}
        if criteria.total_count_mode == 1:
            links["last"] = f"{own}?limit={limit}&page={max(1, math.ceil(total / limit))}"
        if criteria.total_count_mode == 1:
            has_next = criteria.page * limit < total
        else:
            has_next = total > count if criteria.total_count_mode == 2 else count == limit
        if has_next:
            links["next"] = f"{own}?limit={limit}&page={criteria.page + 1}"
        if criteria.page > 1:
            links["prev"] = f"{own}?limit={limit}&page={criteria.page - 1}"
        links["self"] = own
        return links
