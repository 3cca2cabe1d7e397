"""Celery tasks: customer importing."""

__all__: list[str] = []
