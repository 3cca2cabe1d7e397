"""Project-wide pytest fixtures: departments, one user per role, logged-in clients."""

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from django.utils import translation

from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory


class _SerialLiveServer(WSGIServer):
    """The live server, one request at a time. On the in-memory SQLite test database every
    request thread shares the test's one connection; two requests on it at once (a page
    and its htmx fragments) can deadlock inside sqlite3 and hang the suite. PostgreSQL
    gives each thread its own connection and keeps Django's threaded server."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = _SerialLiveServer


def pytest_collection_modifyitems(items):
    """A test that restarts PostgreSQL cuts every connection the session holds, including
    the live server's; it runs last, so no later test inherits a dead connection."""
    items.sort(key=lambda item: item.get_closest_marker("restarts_database") is not None)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DELIVERY_FILE_DIR = str(tmp_path / "messages")
    # Hashing every factory user's password with PBKDF2 would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests read English unless they ask for Chinese (the product default is zh-hans).
    settings.LANGUAGE_CODE = "en"
    # The suite searches hundreds of times a minute as users whose ids repeat; tests of
    # the limit itself set a low one.
    settings.SEARCH_RATE_LIMIT = "100000/minute"
    with translation.override("en"):
        yield


@pytest.fixture
def department_a(db):
    return DepartmentFactory(name="华东销售部", code="east-sales")


@pytest.fixture
def department_b(db):
    return DepartmentFactory(name="华南销售部", code="south-sales")


@pytest.fixture
def staff_a(department_a):
    return UserFactory(username="staff_a", role="staff", department=department_a)


@pytest.fixture
def staff_b(department_b):
    return UserFactory(username="staff_b", role="staff", department=department_b)


@pytest.fixture
def manager_a(department_a):
    return UserFactory(username="manager_a", role="manager", department=department_a)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role="admin", department=None)


def _client_for(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def staff_a_client(staff_a):
    from django.test import Client

    return _client_for(Client, staff_a)


@pytest.fixture
def manager_a_client(manager_a):
    from django.test import Client

    return _client_for(Client, manager_a)


@pytest.fixture
def admin_client_user(admin_user):
    from django.test import Client

    return _client_for(Client, admin_user)


@pytest.fixture
def api_client_for():
    """``api_client_for(user)`` — a DRF client authenticated with the user's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def smtp_inbox(settings):
    """Django's SMTP backend pointed at a real SMTP server on loopback; the inbox it fills."""
    from aiosmtpd.controller import Controller

    from carecrm.core.testing import SmtpInbox, free_port

    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://care.example.cn"
    yield inbox
    controller.stop()


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium, headless, for the browser tests (``carecrm.core.testing``)."""
    from django.db import connections

    from carecrm.core.testing import chromium

    with chromium(monkeypatch) as browser:
        yield browser
    connections.close_all()


@pytest.fixture
def eager_celery():
    """Queued tasks run in process, at once: the Celery app's own setting (the Django
    setting is read once, when the app is configured)."""
    from carecrm.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
