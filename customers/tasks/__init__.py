"""Celery tasks of the customers app (autodiscovered through this package)."""

from customers.tasks.importing import *  # noqa: F403
from customers.tasks.quality import *  # noqa: F403
