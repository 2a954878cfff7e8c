"""ORM queries compiled once per process, and statements sent to PostgreSQL together.

Building a queryset of several subqueries and compiling it costs milliseconds of CPU
each time (the booking's checks: about 4 ms), although its SQL only changes with the
code: only its values change from one call to the next. A CompiledQuery builds and
compiles its queryset the first time with stand-in values, and again with other
stand-ins to prove that the SQL does not depend on the values and to find where each
value goes; every later call puts the values in their places. The queryset stays the
one definition of the query (the rules are written once, with the ORM).

``run_together`` sends several statements to PostgreSQL in one query message: one
round trip where each would be one. The server runs them one after the other, each
with its own snapshot (READ COMMITTED), so a statement reads what the one before it
waited for: a lock taken by the first is held when the next one counts."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.core.signals import setting_changed
from django.db import connection
from django.db.models import QuerySet
from django.dispatch import receiver

# The types a value may have; each gets stand-ins of its own type that no constant of
# a query meets (twice, to tell them from constants), inside the range of a small
# integer field (Django empties a lookup out of its field's range).
_STAND_INS: dict[type, Callable[[int, int], Any]] = {
    int: lambda trial, index: 32_000 - 100 * trial - index,
    str: lambda trial, index: f"\x1fstand-in {trial}.{index}\x1f",
    datetime: lambda trial, index: datetime(1901, 2, 3, 4, trial, index, tzinfo=UTC),
    date: lambda trial, index: date(1901, 2 + trial, 1 + index),
}


class NotCompilable(Exception):
    """The queryset's SQL depends on its values, or a value is not found in its
    parameters as given (converted, or derived from another value)."""


@dataclass(frozen=True)
class Statement:
    """One statement: its SQL with its parameters, and how to read its rows."""

    sql: str
    params: tuple
    read: Callable[[list[tuple]], Any]

    def then(self, read: Callable[[Any], Any]) -> "Statement":
        """The same statement, ``read`` applied to what its reader gives."""
        first = self.read
        return Statement(self.sql, self.params, lambda rows: read(first(rows)))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple  # the constants, and a stand-in where a value goes
    places: tuple[tuple[int, str], ...]  # (position in params, value's name)
    converters: dict  # column index → (converters, expression), as Django's
    columns: tuple[str, ...]


class CompiledQuery:
    """``build(**values)`` returns the queryset; ``values`` names each value's type
    (int, str, date or aware datetime). The queryset must take every value as it is (no
    value computed from another inside ``build``: pass it as a value of its own),
    and its shape must not depend on them (no ``if value:`` inside ``build``: the
    stand-ins are all true). The first call proves the rest (NotCompilable)."""

    def __init__(self, build: Callable[..., QuerySet], **values: type) -> None:
        for kind in values.values():
            if kind not in _STAND_INS:
                raise TypeError(f"no stand-in for {kind.__name__}")
        self._build = build
        self._values = values
        self._by_alias: dict[str, _Compiled] = {}
        _every.append(self)

    def statement(self, **values: Any) -> Statement:
        """The query with these values, and a reader giving its rows as dicts (the
        database's values converted as the ORM converts them)."""
        if values.keys() != self._values.keys():
            raise TypeError(f"values: {sorted(self._values)}")
        for name, kind in self._values.items():
            value = values[name]
            # bool is an int, and datetime a date: neither is taken for the other.
            narrower = type(value) in (bool, datetime) and type(value) is not kind
            if not isinstance(value, kind) or narrower:
                raise TypeError(f"{name} must be a {kind.__name__}")
            if isinstance(value, datetime) and value.tzinfo is None:
                raise TypeError(f"{name} must be an aware datetime")
        if connection.vendor != "postgresql":
            # Elsewhere (SQLite for `make run`) values are converted on their way in
            # (datetimes as text, found in no parameter as given): compiled each time.
            compiled = _compiled(*self._compile_with(values), places=())
            return Statement(
                compiled.sql, compiled.params, lambda rows: _dicts(compiled, rows)
            )
        compiled = self._compiled()
        filled = list(compiled.params)
        for position, name in compiled.places:
            filled[position] = values[name]
        return Statement(
            compiled.sql, tuple(filled), lambda rows: _dicts(compiled, rows)
        )

    def _compiled(self) -> _Compiled:
        compiled = self._by_alias.get(connection.alias)
        if compiled is None:
            compiled = self._by_alias[connection.alias] = self._compile()
        return compiled

    def _compile(self) -> _Compiled:
        trials = [self._trial(trial) for trial in (1, 2)]
        (sql, params, places, compiler), (sql_2, params_2, places_2, _) = trials
        if sql != sql_2 or places != places_2:
            raise NotCompilable(
                f"{self._build.__name__}: its SQL depends on its values"
            )
        constants = [p for i, p in enumerate(params) if i not in dict(places)]
        constants_2 = [p for i, p in enumerate(params_2) if i not in dict(places_2)]
        if constants != constants_2:
            raise NotCompilable(
                f"{self._build.__name__}: a parameter is computed from a value"
            )
        missing = self._values.keys() - {name for _, name in places}
        if missing:
            raise NotCompilable(
                f"{self._build.__name__}: not found in the parameters: {sorted(missing)}"
            )
        return _compiled(sql, params, compiler, places=places)

    def _trial(self, trial: int) -> tuple:
        stand_ins = {
            name: _STAND_INS[kind](trial, index)
            for index, (name, kind) in enumerate(self._values.items())
        }
        by_value = {(type(v), v): name for name, v in stand_ins.items()}
        sql, params, compiler = self._compile_with(stand_ins)
        places = tuple(
            (i, by_value[(type(p), p)])
            for i, p in enumerate(params)
            if (type(p), p) in by_value
        )
        return sql, params, places, compiler

    def _compile_with(self, values: dict[str, Any]) -> tuple[str, tuple, Any]:
        queryset = self._build(**values)
        compiler = queryset.query.get_compiler(connection=connection)
        try:
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet) as error:  # no SQL to send
            raise NotCompilable(f"{self._build.__name__}: {error!r}") from error
        return sql, tuple(params), compiler


def _compiled(sql: str, params: tuple, compiler: Any, *, places: tuple) -> _Compiled:
    selected = compiler.select[: compiler.col_count]
    return _Compiled(
        sql=sql,
        params=params,
        places=places,
        converters=compiler.get_converters([column for column, *_ in selected]),
        columns=tuple(alias or column.target.attname for column, _, alias in selected),
    )


def _dicts(compiled: _Compiled, rows: list[tuple]) -> list[dict]:
    converted = []
    for row in rows:
        values = list(row)
        for index, (converters, expression) in compiled.converters.items():
            for convert in converters:
                values[index] = convert(values[index], expression, connection)
        converted.append(dict(zip(compiled.columns, values, strict=True)))
    return converted


_every: list[CompiledQuery] = []


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: Any) -> None:
    # The SQL holds the time zone's name and the database's dialect (tests change them).
    if setting in ("TIME_ZONE", "USE_TZ", "DATABASES"):
        for query in _every:
            query._by_alias.clear()


def run_together(statements: Sequence[Statement]) -> list:
    """Each statement's rows as its reader gives them, all sent in one round trip on
    PostgreSQL (one query message: Django's client-side binding cursor sends it as a
    simple query), one by one elsewhere. An error in one raises it; the ones after it
    are not run."""
    results = []
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for each in statements:
                cursor.execute(each.sql, each.params)
                results.append(each.read(cursor.fetchall()))
            return results
        cursor.execute(
            "; ".join(each.sql for each in statements),
            tuple(p for each in statements for p in each.params),
        )
        for index, each in enumerate(statements):
            if index:
                cursor.nextset()
            results.append(each.read(cursor.fetchall()))
    return results
