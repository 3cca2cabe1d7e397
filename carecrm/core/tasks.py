from celery import shared_task


@shared_task(name="core.ping")
def ping(payload: str) -> dict:
    """Round-trip check used by health checks and the integration tests: proves a worker
    is consuming from the broker and can reach the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        migrations = cursor.fetchone()[0]
    return {"echo": payload, "vendor": connection.vendor, "migrations": migrations}
