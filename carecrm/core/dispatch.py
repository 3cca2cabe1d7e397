"""Queue a Celery task by its registered name, after the current transaction commits.

Services start background work through here, never by importing their app's ``tasks``
module: tasks call services, so a service importing a task would close an import cycle
(the per-app layer contract in ``pyproject.toml`` forbids it). The task is looked up in
the Celery app's registry, so ``CELERY_TASK_ALWAYS_EAGER`` (tests, the embedded mode)
still runs it in process."""

from django.db import transaction


def task_by_name(name: str):
    from carecrm.celery import app

    if name not in app.tasks:
        # A web process has not imported the apps' tasks modules yet: autodiscover them.
        app.loader.import_default_modules()
    return app.tasks[name]


def task_enqueue(name: str, *args, **kwargs) -> None:
    """Send task ``name`` with ``args``/``kwargs`` once the surrounding transaction
    commits (at once outside a transaction); a rolled-back write queues nothing."""
    transaction.on_commit(lambda: task_by_name(name).apply_async(args=args, kwargs=kwargs))
