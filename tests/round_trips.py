"""Counts the round trips one piece of code makes to PostgreSQL and to Redis.

A query is one round trip (Django's CaptureQueriesContext); a Redis command sent
alone is one, and so is a pipeline, whatever it holds (the client sends it at once
and reads the answers together)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.client import Pipeline, Redis


@dataclass
class RoundTrips:
    sql: list[str] = field(default_factory=list)
    redis: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.sql)} SQL queries:", *self.sql]
        lines += [f"{len(self.redis)} Redis round trips:", *self.redis]
        return "\n".join(lines)


@contextmanager
def counted_round_trips() -> Iterator[RoundTrips]:
    """The SQL queries and the Redis round trips made inside the block."""
    with (
        CaptureQueriesContext(connection) as queries,
        counted_redis_round_trips() as trips,
    ):
        yield trips
    trips.sql = [query["sql"] for query in queries.captured_queries]


@contextmanager
def counted_redis_round_trips() -> Iterator[RoundTrips]:
    """The Redis round trips made inside the block (no database needed)."""
    trips = RoundTrips()
    single = Redis.execute_command
    batch = Pipeline.execute

    def execute_command(client, *args, **options):
        trips.redis.append(" ".join(str(a) for a in args[:2]))
        return single(client, *args, **options)

    def execute(pipeline, *args, **options):
        names = [str(command[0][0]) for command in pipeline.command_stack]
        trips.redis.append("pipeline " + " ".join(names))
        return batch(pipeline, *args, **options)

    with (
        mock.patch.object(Redis, "execute_command", execute_command),
        mock.patch.object(Pipeline, "execute", execute),
    ):
        yield trips
