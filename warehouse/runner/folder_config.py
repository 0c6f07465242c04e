"""The ``models`` section of riftlab.yaml: configuration by folder, as ``models:`` in dbt_project.yml.

::

    models:
      +materialized: table          # every model
      staging:                      # transforms/models/staging/ and below
        +materialized: view
        +tags: [staging]
        legacy:                     # transforms/models/staging/legacy/
          +enabled: false
      marts:
        +schema: marts
        +tags: nightly

Keys with ``+`` are configs; a config's name without ``+`` is read as the config too (as dbt does);
every other key is a folder under ``transforms/models/``.  A model's configuration is resolved as dbt
resolves it (:func:`resolve`): the folder nearest the model wins over its parents, a ``config:``
block in schema.yml wins over the folders, and ``{{ config(...) }}`` in the model wins over all.
Tags add up across every level instead of replacing each other.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_serializer, model_validator

from warehouse.config import Settings, Text, unknown_key
from warehouse.errors import closest

#: the configs a folder may set, without their ``+``
CONFIG_KEYS = ("materialized", "tags", "schema", "enabled", "unique_key", "description")
#: schemas riftlab itself writes; a model may not publish into them
RESERVED_SCHEMAS = ("raw", "meta")


def tag_list(value: Any) -> list[str]:
    """``tags`` as dbt takes it: one tag or a list of them."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


class Folder(Settings):
    """The configuration of the models in one folder (and its sub-folders, which are further keys)."""

    model_config = ConfigDict(extra="allow", serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)
    __pydantic_extra__: dict[str, Folder] = Field(init=False)

    materialized: Literal["table", "view", "incremental"] | None = Field(None, alias="+materialized")
    """How the folder's models are published: table, view or incremental."""
    tags: list[Text] | None = Field(None, alias="+tags")
    """Tags the folder's models carry (added to the tags of the folders above; select with tag:NAME)."""
    schema_: Text | None = Field(None, alias="+schema")
    """Schema the folder's models are published in (default main; raw and meta are riftlab's own)."""
    enabled: bool | None = Field(None, alias="+enabled")
    """false: the folder's models are not built, listed or tested."""
    unique_key: list[Text] | None = Field(None, alias="+unique_key")
    """Key columns of incremental models (rows with the same key are replaced)."""
    description: str | None = Field(None, alias="+description")
    """What the folder holds (for docs; a model's own description comes from schema.yml)."""

    @model_validator(mode="before")
    @classmethod
    def _plus_keys(cls, data: Any) -> Any:
        """``materialized: view`` means ``+materialized: view``; a mistyped config is refused, not read as a folder."""
        if not isinstance(data, dict):
            return data
        shaped: dict[Any, Any] = {}
        for key, value in data.items():
            name = str(key)
            if name.startswith("+"):
                if name[1:] not in CONFIG_KEYS:
                    near = closest(name[1:], list(CONFIG_KEYS))
                    raise unknown_key(
                        name,
                        f"+{near}" if near else "",
                        f"folder configs are {', '.join('+' + k for k in CONFIG_KEYS)}",
                    )
                shaped[name] = value
            elif name in CONFIG_KEYS and not isinstance(value, dict):
                shaped["+" + name] = value
            elif not isinstance(value, dict) and value is not None:
                near = closest(name, list(CONFIG_KEYS))
                raise unknown_key(
                    name,
                    f"+{near}" if near else "",
                    "a key is a folder (a mapping) or a config written +materialized, +tags, +schema ...",
                )
            else:
                shaped[key] = value if value is not None else {}
        return shaped

    @field_validator("tags", "unique_key", mode="before")
    @classmethod
    def _text_or_texts(cls, value: Any) -> Any:
        """One name or a list of names (``+tags: nightly``), kept as a list."""
        if value is None:
            return value
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
            return value
        from warehouse.config import refusal

        raise refusal("a name or a list of names", value)

    @field_validator("schema_")
    @classmethod
    def _not_reserved(cls, value: str | None) -> str | None:
        if value in RESERVED_SCHEMAS:
            from warehouse.config import refusal

            raise refusal(f"a schema of your own, not {' or '.join(RESERVED_SCHEMAS)} (riftlab writes those)", value)
        return value

    @model_serializer(mode="wrap")
    def _without_unset(self, handler) -> dict[str, Any]:
        """Only what was written (configs nobody set are not shown by ``riftlab config``)."""
        return {key: value for key, value in handler(self).items() if value is not None}

    def configs(self) -> dict[str, Any]:
        """This folder's own configs (no sub-folders), by name without ``+``."""
        values = {name: getattr(self, "schema_" if name == "schema" else name) for name in CONFIG_KEYS}
        return {name: value for name, value in values.items() if value is not None}

    def folders(self) -> dict[str, Folder]:
        return dict(self.__pydantic_extra__ or {})


Folder.model_rebuild()

#: the section's model (registered in warehouse/config.py: SECTIONS)
Models = Folder


def resolve(section: dict[str, Any] | None, folders: list[str], *later: dict[str, Any]) -> dict[str, Any]:
    """A model's configuration: the section's levels along ``folders`` (outermost first), then ``later``
    mappings (schema.yml ``config:``, then ``config()``), each overriding the ones before; tags add up."""
    merged: dict[str, Any] = {}
    tags: list[str] = []
    levels: list[dict[str, Any]] = []
    node: Folder | None = Folder.model_validate(section or {})
    levels.append(node.configs())
    for name in folders:
        node = node.folders().get(name) if node is not None else None
        if node is None:
            break
        levels.append(node.configs())
    for level in [*levels, *later]:
        for key, value in level.items():
            if key == "tags":
                tags.extend(t for t in tag_list(value) if t not in tags)
            elif value is not None:
                merged[key] = value
    merged["tags"] = tags
    return merged


def unknown_folders(section: dict[str, Any] | None, existing: set[tuple[str, ...]]) -> list[str]:
    """Folder paths the section configures that hold no model (``staging/legacy``): most likely typos."""
    missing: list[str] = []

    def walk(node: Folder, path: tuple[str, ...]) -> None:
        for name, child in node.folders().items():
            here = (*path, name)
            if here not in existing:
                missing.append("/".join(here))
            else:
                walk(child, here)

    walk(Folder.model_validate(section or {}), ())
    return missing
