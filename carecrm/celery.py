"""The Celery app. Workers and beat start with ``celery -A carecrm worker|beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecrm.settings")

app = Celery("carecrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["carecrm.core"])
