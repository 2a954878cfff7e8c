"""Several writes sent to PostgreSQL as one statement, data-modifying CTEs: one round
trip where each write would be one. Inside a transaction that holds a slot's lock,
every round trip is a wait for the other applicants queued on that slot (a rush),
so a booking's rows, its event, its outbox rows and the delete of its holds go
together.

Each plain value is prepared as Django's insert compiler prepares it and the INSERT
is written here, once per shape (model, columns, number of rows; Django's compiler
writes it when a value is an expression or a field writes SQL of its own); the
DELETE is Django's own (the compiler of a fast delete). Like bulk_create, no model
signal is sent: the caller does what the receivers would.
Every write of one statement sees the database as it was before the statement, so
none may depend on another's rows but through deferred foreign keys (Django's
are). Other databases (SQLite for `make run`) get the same writes one by one."""

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.deletion import Collector
from django.db.models.sql import DeleteQuery, InsertQuery

from prefecture.compiled_sql import Statement


@dataclass(frozen=True)
class Insert:
    objs: Sequence[Model]
    returning_ids: bool = False


@dataclass(frozen=True)
class Delete:
    queryset: QuerySet


def insert_rows(objs: Sequence[Model], *, returning_ids: bool = False) -> Insert:
    """New rows of one model. A row without an id gets one from its sequence; with
    ``returning_ids``, the instances get it too (RETURNING: one insert of a
    statement at most), the others keep none."""
    if not objs or len({type(obj) for obj in objs}) != 1:
        raise ValueError("insert_rows takes instances of one model")
    # What save() would set (auto_now…), set now: a row built from these (a history
    # row) has the values written.
    fields = _fields(type(objs[0]))
    for obj in objs:
        # As bulk_create: refuses an unsaved related row, takes its id if set since.
        prepare = obj._prepare_related_fields_for_save  # type: ignore[attr-defined]
        prepare(operation_name="bulk_create")
        for field in fields:
            setattr(obj, field.attname, field.pre_save(obj, add=True))
    return Insert(objs, returning_ids)


def delete_rows(queryset: QuerySet) -> Delete:
    """The rows of ``queryset``, deleted in one DELETE: only for a model no signal
    and no cascade depend on (what Django itself deletes without looking first)."""
    if not Collector(using=connection.alias).can_fast_delete(queryset):
        raise ValueError(f"{queryset.model.__name__}: its delete needs the ORM")
    return Delete(queryset)


def delete_statement(queryset: QuerySet) -> Statement:
    """delete_rows as a statement to send with others (compiled.run_together): its
    reader gives how many rows it deleted."""
    sql, params = _compiled(delete_rows(queryset))
    return Statement(f"{sql} RETURNING 1", tuple(params), len)


def write_together(*writes: Insert | Delete) -> None:
    """Runs ``writes`` in one statement on PostgreSQL, in order elsewhere. Raises
    what the database raises (IntegrityError…): none of the writes is then done."""
    returning = [w for w in writes if isinstance(w, Insert) and w.returning_ids]
    if len(returning) > 1:
        raise ValueError("one insert of a statement at most returns its ids")
    if connection.vendor != "postgresql":
        for each in writes:
            if isinstance(each, Insert):
                type(each.objs[0])._default_manager.bulk_create(each.objs)
            else:
                each.queryset._raw_delete(connection.alias)
        return
    # The statement's own part is the insert whose ids come back, or the last.
    last = returning[0] if returning else writes[-1]
    *ctes, (sql, params) = [
        _compiled(w) for w in [*(w for w in writes if w is not last), last]
    ]
    if ctes:
        named = ", ".join(f"w{i} AS ({cte})" for i, (cte, _) in enumerate(ctes))
        sql = f"WITH {named} {sql}"
        params = tuple(p for _, cte_params in ctes for p in cte_params) + params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()] if returning else []
    if returning:
        for obj, pk in zip(returning[0].objs, ids, strict=True):
            obj.pk = pk
    for each in writes:
        if isinstance(each, Insert):
            for obj in each.objs:
                if obj.pk is not None:
                    obj._state.adding = False
                    obj._state.db = connection.alias


def _compiled(each: Insert | Delete) -> tuple[str, tuple]:
    if isinstance(each, Delete):
        query = each.queryset.query.clone()
        query.__class__ = DeleteQuery
        return query.get_compiler(connection=connection).as_sql()
    model = type(each.objs[0])
    fields = _fields(model)
    if each.objs[0].pk is None:
        fields = [f for f in fields if f is not model._meta.pk]
    values = [getattr(obj, field.attname) for obj in each.objs for field in fields]
    if _own_sql(tuple(fields)) or any(
        hasattr(value, "resolve_expression") for value in values
    ):
        return _compiled_by_django(each, model, fields)
    # Each value as Django's insert compiler prepares a plain value (raw: pre_save
    # done); the SQL, the same for every insert of as many rows, kept: compiling it
    # was a millisecond of each confirm, inside the slot's lock.
    params = tuple(
        field.get_db_prep_save(value, connection=connection)
        for value, field in zip(values, fields * len(each.objs), strict=True)
    )
    return _insert_sql(model, tuple(fields), len(each.objs), each.returning_ids), params


@functools.cache
def _own_sql(fields: tuple) -> bool:
    """Whether a field writes SQL of its own for its value (a cast, a database
    default): Django's compiler then writes the INSERT."""
    return any(
        hasattr(field, "get_placeholder")
        or hasattr(field, "get_placeholder_sql")
        or field.has_db_default()
        for field in fields
    )


def _compiled_by_django(each: Insert, model: type[Model], fields: list) -> tuple:
    # An expression as a value (Now(), a database default) or a field's own
    # placeholder: what bulk_create would send.
    query = InsertQuery(model)
    query.insert_values(fields, list(each.objs), raw=True)  # pre_save done
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [model._meta.pk] if each.returning_ids else None
    [(sql, params)] = compiler.as_sql()
    return sql, tuple(params)


@functools.cache
def _insert_sql(
    model: type[Model], fields: tuple, rows: int, returning_ids: bool
) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    row = f"({', '.join(['%s'] * len(fields))})"
    # Only the model's own quoted names and placeholders: the values go as parameters.
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)}"  # noqa: S608
    if returning_ids:
        sql += f" RETURNING {table}.{quote(str(model._meta.pk.column))}"
    return sql


def _fields(model: type[Model]) -> list:
    return [f for f in model._meta.concrete_fields if not f.generated]
