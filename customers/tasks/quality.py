"""Celery tasks: customer quality."""

__all__: list[str] = []
