"""Dependency checks for /sante/: each returns "ok", "disabled" or "error"."""

import logging

import redis
from django.db import DatabaseError

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def check_database(connection) -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health: database unreachable")
        return "error"
    return "ok"


def check_broker(redis_url: str) -> str:
    if not redis_url:
        return "disabled"
    client = redis.Redis.from_url(
        redis_url,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except redis.RedisError:
        logger.warning("health: broker unreachable")
        return "error"
    finally:
        client.close()
    return "ok"
