"""Real tables from entity metadata (SQLAlchemy Core).

One table per entity, named ``t_<key>``, with the system columns first and one column per
stored field, named by the field's key. A child entity's table carries ``parent_id`` and
``idx`` (row order). Link fields are indexed integer columns; the record service checks
that the target exists (no database foreign key, so a metadata change never has to rebuild
constraints across tables).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sunmao.fields import stored_type
from sunmao.meta.model import IDENTIFIER, Entity, Field
from sunmao.storage.types import IdType, UTCDateTime

log = logging.getLogger(__name__)


def column_type(field: Field) -> sa.types.TypeEngine:
    """The SQL type of a stored field: its field type's column."""
    return stored_type(field).column(field)


def safe_identifier(name: str) -> str:
    """Refuse any metadata name that is not a plain identifier before it reaches SQL."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a valid identifier")
    return name


def index_name(table: str, columns: tuple[str, ...], unique: bool, sparse: bool = False) -> str:
    key = ",".join(columns) + (" sparse" if sparse else "")
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{'uq' if unique else 'ix'}_{table}_{digest}"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    columns: tuple[str, ...]
    unique: bool
    #: Rows whose (single) column is NULL are left out: a link's own index, where most orders have
    #: no contact or suspected original, costs nothing for them on write.
    sparse: bool = False
    #: A trigram index (PostgreSQL: GIN with pg_trgm's ``gin_trgm_ops``) that serves ``ILIKE '%…%'``:
    #: the search (``q=``) finds any substring — 精工 in 宁波市精工实业 — without reading the table.
    trigram: bool = False

    def where(self) -> dict[str, Any]:
        """The dialect arguments of a sparse index (``sqlite_where``, ``postgresql_where``)."""
        if not self.sparse:
            return {}
        condition = sa.text(f'"{self.columns[0]}" IS NOT NULL')
        return {"sqlite_where": condition, "postgresql_where": condition}


def field_column(field: Field) -> sa.Column:
    return sa.Column(safe_identifier(field.key), column_type(field), nullable=True)


#: Field types whose values a search reads as text (a trigram index serves them).
SEARCHABLE_TEXT = ("string", "text")


def search_columns(entity: Entity) -> tuple[str, ...]:
    """The entity's own columns a search (``q=``) reads as text: its textual search fields, and its name."""
    stored = {f.key: f for f in entity.stored_fields}
    own = [k for k in entity.search_fields if k in stored and stored[k].type in SEARCHABLE_TEXT]
    if not entity.child:
        own.append("name")
    return tuple(dict.fromkeys(own))


def trigram_indexes(entity: Entity) -> list[IndexSpec]:
    """One trigram index per searched text column (created where the database has pg_trgm)."""
    table = entity.table_name
    return [IndexSpec(index_name(table, (col,), False) + "_trgm", (col,), False, trigram=True)
            for col in search_columns(entity)]


def entity_indexes(entity: Entity, *, trigram: bool = False) -> list[IndexSpec]:
    """All indexes an entity asks for: declared ones, unique fields, and links (sparse: their
    lookups are by value, never by NULL); with ``trigram``, the search's trigram indexes too."""
    wanted: dict[tuple[str, ...], bool] = {}
    links: set[tuple[str, ...]] = set()
    if entity.child:  # a record's rows, in their order
        wanted[("parent_id", "idx")] = False
    for f in entity.stored_fields:
        if f.unique:
            wanted[(f.key,)] = True
        elif f.type == "link":
            wanted.setdefault((f.key,), False)
            links.add((f.key,))
    for fields, unique in entity.indexes:
        wanted[fields] = wanted.get(fields, False) or unique
        links.discard(fields)  # declared: a full index, as the metadata asks
    # a plain index that starts another one is redundant: the longer one answers its lookups, and
    # every write would maintain both
    redundant = {cols for cols, unique in wanted.items() if not unique
                 and any(other != cols and other[:len(cols)] == cols for other in wanted)}
    table = entity.table_name
    return [IndexSpec(index_name(table, cols, unique, sparse), cols, unique, sparse)
            for cols, unique in wanted.items() if cols not in redundant
            for sparse in [cols in links and not unique]] + (trigram_indexes(entity) if trigram else [])


def build_table(entity: Entity, metadata: sa.MetaData) -> sa.Table:
    """The SQLAlchemy table of an entity, added to ``metadata``."""
    name = safe_identifier(entity.table_name[2:]) and entity.table_name
    if entity.child:
        system = [
            sa.Column("id", IdType, primary_key=True, autoincrement=True),
            sa.Column("parent_id", sa.BigInteger, nullable=False),
            sa.Column("idx", sa.Integer, nullable=False),
        ]
    else:
        system = [
            sa.Column("id", IdType, primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(64), nullable=False, unique=True),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("updated_at", UTCDateTime, nullable=False),
            sa.Column("created_by", sa.BigInteger),
            sa.Column("updated_by", sa.BigInteger),
            sa.Column("deleted_at", UTCDateTime),
        ]
    table = sa.Table(name, metadata, *system, *(field_column(f) for f in entity.stored_fields))
    for ix in entity_indexes(entity):
        sa.Index(ix.name, *(table.c[c] for c in ix.columns), unique=ix.unique, **ix.where())
    return table


def build_tables(entities: Mapping[str, Entity]) -> tuple[sa.MetaData, dict[str, sa.Table]]:
    metadata = sa.MetaData()
    return metadata, {key: build_table(e, metadata) for key, e in entities.items()}


def trigram_opclass(conn: sa.Connection) -> str | None:
    """The qualified ``gin_trgm_ops`` of PostgreSQL's pg_trgm, creating the extension in ``public`` when
    it is missing (it is a trusted extension: a database owner may); None where it cannot be had —
    the search still works, by reading the table."""
    query = sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                    "WHERE e.extname = 'pg_trgm'")
    schema = conn.execute(query).scalar()
    if schema is None:
        for statement in ("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
                          "CREATE EXTENSION IF NOT EXISTS pg_trgm"):
            try:
                with conn.begin_nested():
                    conn.execute(sa.text(statement))
                break
            except sa.exc.DBAPIError as exc:
                log.warning("pg_trgm is not available (%s); searches read the table", exc.orig)
        schema = conn.execute(query).scalar()
    return None if schema is None else f'"{schema}".gin_trgm_ops'
