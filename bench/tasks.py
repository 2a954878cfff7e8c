"""Baseline (d): the queue ceiling. The worker loads this module with --include."""

from celery import shared_task


@shared_task
def noop() -> None:
    """Does nothing: what is left is the broker and the worker's own cost."""
