"""Entity definitions of the sandbox: fields, associations and the exact key shape of each record.

Shopware's Admin API serializes every entity with the same frame (``extensions``,
``_uniqueIdentifier``, ``versionId``, ``translated``, ..., ``id``, ``customFields``, ``apiAlias``) and
every association key present, ``null`` (to-one and to-many alike) unless the request loaded it. The
definitions here are read from :mod:`.schema_data` so a stored record already has its output shape.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_CURRENCY_ID",
    "DEFAULT_LANGUAGE_ID",
    "ENTITIES",
    "LIVE_VERSION_ID",
    "Association",
    "EntityDef",
    "Field",
    "blank_record",
    "entity_for_route",
    "refresh_translated",
]

import re
from dataclasses import dataclass
from typing import Any

from .schema_data import ENTITY_SPECS

DEFAULT_CURRENCY_ID = "b7d2554b0ce847cd82f3ac9bd1c0dfca"
"""Shopware's fixed id of the system default currency (``Defaults::CURRENCY``), EUR here."""
LIVE_VERSION_ID = "0fa91ce3e96a4bc2be4bd9ce752c3425"
"""Shopware's fixed live version id (``Defaults::LIVE_VERSION``)."""
DEFAULT_LANGUAGE_ID = "2fbb5fe2e29a4d70aa5854ce7ce3e20b"
"""Shopware's fixed system language id (``Defaults::LANGUAGE_SYSTEM``)."""

_TRANSLATED_KEYS: dict[str, tuple[str, ...]] = {
    "state_machine_state": ("name", "customFields"),
    "state_machine": ("name", "customFields"),
    "currency": ("shortName", "name", "customFields"),
    "country": ("name", "customFields", "addressFormat"),
    "payment_method": ("name", "distinguishableName", "description", "customFields"),
    "salutation": ("displayName", "letterName", "customFields"),
    "customer_group": (
        "name",
        "registrationTitle",
        "registrationIntroduction",
        "registrationOnlyCompanyRegistration",
        "registrationSeoMetaDescription",
        "customFields",
    ),
    "promotion": ("name", "customFields"),
    "sales_channel": ("name", "homeEnabled", "customFields"),
    "product": (
        "metaDescription",
        "name",
        "keywords",
        "description",
        "metaTitle",
        "packUnit",
        "packUnitPlural",
        "customFields",
        "slotConfig",
        "customSearchKeywords",
    ),
}
"""Keys of ``translated`` for translatable entities (others serialize ``translated: []``)."""

_INTERNAL_MAPPING = frozenset(
    {"customer", "state_machine_state", "currency", "language", "country", "salutation", "customer_group"}
)
"""Entities whose ``extensions`` carry ``internal_mapping_storage`` besides ``foreignKeys``."""


@dataclass(frozen=True)
class Field:
    """A stored field: its DAL type (uuid, int, float, bool, str, date, json, list, blob) and write flags."""

    name: str
    type: str
    required: bool = False
    primary: bool = False
    write_protected: bool = False
    translatable: bool = False


@dataclass(frozen=True)
class Association:
    """An association: ``m21`` many-to-one, ``o2m`` one-to-many, ``o2o`` one-to-one, ``m2m`` many-to-many."""

    name: str
    kind: str
    entity: str
    local_field: str
    reference_field: str
    mapping: str = ""
    mapping_local: str = ""
    mapping_reference: str = ""

    @property
    def to_many(self) -> bool:
        return self.kind in ("o2m", "m2m")

    @property
    def remote_fk(self) -> bool:
        """True when the foreign key lives on the target (one-to-many, or one-to-one keyed by our id)."""
        return self.kind == "o2m" or (self.kind == "o2o" and self.local_field == "id")


@dataclass(frozen=True)
class EntityDef:
    """One entity: output key order, stored fields, associations and naming."""

    name: str
    keys: tuple[str, ...]
    fields: dict[str, Field]
    associations: dict[str, Association]

    @property
    def route(self) -> str:
        """The URL segment, e.g. ``order-transaction``."""
        return self.name.replace("_", "-")

    @property
    def is_mapping(self) -> bool:
        """Many-to-many mapping entities have a composite key and no ``id``."""
        return "id" not in self.fields

    @property
    def versioned(self) -> bool:
        return "versionId" in self.fields

    @property
    def tiebreak(self) -> str:
        """The unique, monotonic-enough field keyset reads tie-break on: ``autoIncrement`` or ``id``."""
        return "autoIncrement" if "autoIncrement" in self.fields else "id"

    @property
    def translated_keys(self) -> tuple[str, ...]:
        return _TRANSLATED_KEYS.get(self.name, ())

    def has_field(self, name: str) -> bool:
        return name in self.fields or name in self.associations or name in self.keys

    def mapping_key(self, record: dict[str, Any]) -> str:
        """The storage key of a mapping record: its primary-key values joined by ``-``."""
        return "-".join(str(record[f.name]) for f in self.fields.values() if f.primary)


def _parse(name: str, spec: tuple[str, str, str]) -> EntityDef:
    keys_text, fields_text, assocs_text = spec
    fields: dict[str, Field] = {}
    for token in fields_text.split():
        field_name, _, rest = token.partition(":")
        type_name = re.sub(r"[!#~*]", "", rest)
        fields[field_name] = Field(
            field_name,
            type_name,
            required="!" in rest,
            primary="#" in rest,
            write_protected="~" in rest,
            translatable="*" in rest,
        )
    associations: dict[str, Association] = {}
    for token in assocs_text.split():
        parts = token.split(">")
        parts += [""] * (8 - len(parts))
        associations[parts[0]] = Association(*parts[:8])
    return EntityDef(name, tuple(keys_text.split()), fields, associations)


ENTITIES: dict[str, EntityDef] = {name: _parse(name, spec) for name, spec in ENTITY_SPECS.items()}
"""Every entity the sandbox knows, by DAL name (``order_transaction``)."""

_ROUTES = {definition.route: name for name, definition in ENTITIES.items()}


def entity_for_route(route: str) -> EntityDef | None:
    """The entity behind a URL segment such as ``customer-group`` (``None`` if unknown)."""
    name = _ROUTES.get(route)
    return ENTITIES[name] if name is not None else None


def _extensions(name: str) -> dict[str, Any]:
    ext: dict[str, Any] = {"foreignKeys": {"extensions": [], "apiAlias": f"{name}_foreign_keys_extension"}}
    if name == "order_line_item":
        ext["foreignKeys"]["stateId"] = None
    if name in _INTERNAL_MAPPING:
        ext["internal_mapping_storage"] = {"extensions": [], "apiAlias": None}
    return ext


_TEMPLATES: dict[str, dict[str, Any]] = {}


def _template(definition: EntityDef) -> dict[str, Any]:
    template = _TEMPLATES.get(definition.name)
    if template is None:
        template = dict.fromkeys(definition.keys)
        template["extensions"] = _extensions(definition.name)
        template["apiAlias"] = definition.name
        if "translated" in template:
            template["translated"] = []
        _TEMPLATES[definition.name] = template
    return template


def blank_record(entity: str, record_id: str | None = None, **values: Any) -> dict[str, Any]:
    """A record of ``entity`` in output shape: every key present, associations ``null``, ``values`` set.

    ``extensions`` is shared between records of one entity (it never changes): replace it, never mutate it.
    """
    definition = ENTITIES[entity]
    record = dict(_template(definition))
    if record_id is not None:
        record["id"] = record_id
        if "_uniqueIdentifier" in record:
            record["_uniqueIdentifier"] = record_id
    if definition.versioned:
        record["versionId"] = values.pop("versionId", LIVE_VERSION_ID)
    record.update(values)
    refresh_translated(definition, record)
    return record


def refresh_translated(definition: EntityDef, record: dict[str, Any]) -> None:
    """Recompute ``translated`` from the record's translatable fields (after a write)."""
    keys = definition.translated_keys
    if not keys:
        return
    translated: dict[str, Any] = {}
    for key in keys:
        value = record.get(key)
        translated[key] = ([] if value is None else value) if key == "customFields" else value
    record["translated"] = translated
