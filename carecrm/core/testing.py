"""Helpers for tests that run real components: a Celery worker (the subprocess, its
environment, a ``DATABASE_URL`` that reaches the test database) and Debian's Chromium
driven by Playwright."""

import contextlib
import html
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def worker_database_url(tmp_path: Path) -> str:
    """A DATABASE_URL for the worker that reaches the database this test runs against."""
    if connection.vendor == "postgresql":
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    if connection.vendor == "sqlite":
        copy = tmp_path / "worker.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(copy)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{copy}"
    pytest.fail(f"no worker database for {connection.vendor}")


def base_env(tmp_path: Path, database_url: str, **extra: str) -> dict:
    """The worker's environment: this one without Redis, eager mode or the deployment
    profile, plus ``extra`` (e.g. ``REDIS_URL`` or ``DELIVERY_*`` settings)."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_ENV"):
        env.pop(name, None)
    env["DATABASE_URL"] = database_url
    env["CARECRM_VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "carecrm.settings"
    env.update(extra)
    return env


class _CeleryProcess:
    """A ``celery`` command in a subprocess (its own process group, so :meth:`kill` takes
    its pool children with it), whose output is kept and watched for ``ready_marker``."""

    ready_marker = ""
    what = "Celery"

    def __init__(self, argv: list[str], *, env: dict) -> None:
        self.output: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(  # noqa: S603 (fixed argv)
            [sys.executable, "-m", "celery", "-A", "carecrm", *argv],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            if self.ready_marker in line:
                self.ready.set()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{self.what} did not start:\n" + "".join(self.output[-40:]))

    def kill(self) -> None:
        """SIGKILL the process and its children at once: no goodbye, no cleanup."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        else:
            with contextlib.suppress(ProcessLookupError):  # pool children left behind
                os.killpg(self.process.pid, signal.SIGKILL)


class Worker(_CeleryProcess):
    """``celery worker`` consuming only its own queue, so no other worker on the same
    broker can answer for it."""

    ready_marker = " ready."
    what = "Celery worker"

    def __init__(
        self,
        *,
        env: dict,
        queue: str,
        pool: str = "solo",
        concurrency: int = 1,
        name: str | None = None,
    ) -> None:
        self.queue = queue
        super().__init__(
            [
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "--queues",
                queue,
                "--hostname",
                f"{name or queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            env=env,
        )


class Beat(_CeleryProcess):
    """``celery beat`` with the database scheduler: it runs the ``PeriodicTask`` rows the
    test wrote, as production's beat runs the real ones."""

    ready_marker = "beat: Starting"
    what = "Celery beat"

    def __init__(self, *, env: dict) -> None:
        super().__init__(
            [
                "beat",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "--max-interval",
                "1",
                "--pidfile=",
                "--loglevel=INFO",
            ],
            env=env,
        )


CHROMIUM = os.environ.get("CARECRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}


@contextlib.contextmanager
def chromium(monkeypatch):
    """Debian's Chromium under Playwright (never a downloaded browser). Start it after the
    test's data exists: Playwright's sync API runs an event loop in this thread, so the
    test's own database calls need ``DJANGO_ALLOW_ASYNC_UNSAFE`` and stay synchronous."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: install Debian's package "
            "(apt-get install -y chromium fonts-noto-cjk) — .ci/run does this — or set "
            "CARECRM_CHROMIUM to a Chromium binary."
        )
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Routes open by design; each checks its own credential (token, signature) or shows nothing.
PUBLIC_ROUTES = re.compile(
    r"^/(m/|s/|e/|q/|health/$|accounts/login/$|accounts/set-password/|i18n/|brand/logo/|api/v1/delivery/|api/v1/auth/token/$)"
)

# Sample values for URL converters: enough to reach the view (which then finds nothing).
_CONVERTER_SAMPLES = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": str(uuid.UUID(int=0)),
}


_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def route_parameters(route: str) -> list[str]:
    """The names of a route's URL arguments, in order (``<int:pk>``, router ``(?P<pk>…)``)."""
    return [match.group(2) or match.group(3) for match in _PARAMETER.finditer(route)]


def route_path(route: str, values: dict[str, object] | None = None) -> str:
    """The path of a route with its arguments filled from ``values``; arguments not given
    get a sample value of their converter (enough to reach the view, which finds nothing)."""
    values = values or {}

    def fill(match: re.Match) -> str:
        name = match.group(2) or match.group(3)
        if name in values:
            return str(values[name])
        if match.group(3):
            return "1"  # router regexes: an id
        return _CONVERTER_SAMPLES.get(match.group(1) or "str", "x")

    path = _PARAMETER.sub(fill, route)
    path = re.sub(r"\(\?:([^|)]*)[^)]*\)", r"\1", path)  # (?:m|s): the first
    path = path.replace("^", "").replace("$", "").replace("\\.", ".").replace("\\Z", "")
    return "/" + path


def url_routes(patterns=None, prefix: str = "") -> list[tuple[str, str]]:
    """Every route of the URL conf as (path with sample arguments, route pattern), so a
    test walking them covers an endpoint added tomorrow without being told about it."""
    from django.urls import URLPattern, URLResolver, get_resolver

    routes: list[tuple[str, str]] = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += url_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            routes.append((route_path(route), route))
    return routes


class SmtpInbox:
    """A real SMTP server's handler (aiosmtpd) that keeps what it is sent: staff mail
    (reminders, escalations, reports) is tested against it, on loopback."""

    def __init__(self):
        self.received: list = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list:
        """``(recipients, parsed message)`` for each mail received."""
        import email
        import email.policy

        return [
            (
                envelope.rcpt_tos,
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
            for envelope in self.received
        ]


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Answers the in-page confirmation dialog (data-confirm) with its confirm button as soon as
# it is shown; an init script runs in the page whatever its Content-Security-Policy.
AUTO_CONFIRM = """
document.addEventListener("shown.bs.modal", function (event) {
  if (event.target.id === "confirm-dialog") {
    document.getElementById("confirm-dialog-ok").click();
  }
});
"""


def staff_page(
    browser, live_server, user, path: str, *, device: dict | None = None, language: str = "en"
):
    """A new browser context signed in as ``user`` (in English, or ``language="zh-hans"``
    for Chinese) on ``path``: the page and the list the console's errors collect in.
    Confirmation dialogs are accepted."""
    from carecrm.accounts.tests.factories import TEST_PASSWORD

    locale = "zh-CN" if language == "zh-hans" else "en-US"
    context = browser.new_context(locale=locale, **(device or PHONE))
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())
    page.add_init_script(AUTO_CONFIRM)
    page.goto(live_server.url + path)
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    return page, problems


def fits_the_screen(page) -> bool:
    """Nothing wider than the window: the page never scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def accept_confirmation(page) -> str:
    """Answer the in-page confirmation dialog a ``data-confirm`` button opens with its
    confirm button, and return the question it asked."""
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    question = dialog.locator("[data-confirm-message]").inner_text()
    dialog.locator("#confirm-dialog-ok").click()
    dialog.wait_for(state="hidden")
    return question


# Elements whose own text is squeezed into a column about one character wide. The rule: a
# visible element (in ``root``) with at least 2 characters of its own text (its direct text
# nodes, whitespace removed) whose box is narrower than 1.5 × its font size while taller
# than 2 of its lines (line height, or 1.5 × font size when "normal"). That is text set one
# character per line — a label in a table cell too narrow for it.
_CHARACTER_COLUMNS = """
(root) => {
  const scope = document.querySelector(root) || document.body;
  const found = [];
  for (const el of scope.querySelectorAll("*")) {
    let own = "";
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) { own += node.textContent; }
    }
    own = own.replace(/\\s+/g, "");
    if (own.length < 2) { continue; }
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") { continue; }
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) { continue; }
    const size = parseFloat(style.fontSize);
    const line = parseFloat(style.lineHeight) || size * 1.5;
    if (box.width < 1.5 * size && box.height > 2 * line) {
      found.push(el.tagName.toLowerCase() + ": " + own.slice(0, 20));
    }
  }
  return found;
}
"""


def character_columns(page, root: str = "main") -> list[str]:
    """The elements in ``root`` whose text is rendered one character per line (see the
    rule above), e.g. ``["td: 截止日期"]``; an empty list when there are none."""
    return page.evaluate(_CHARACTER_COLUMNS, root)


_PAGER_LINK = re.compile(r'rel="(first|prev|next|last)" href="([^"]+)"')


def pager_links(body: str) -> dict[str, str]:
    """The links of the shared keyset pager (``_keyset_pager.html``) on a page, by rel."""
    return {rel: html.unescape(href) for rel, href in _PAGER_LINK.findall(body)}


def walk_keyset_pages(client, url: str, row: str, *, keep: dict | None = None) -> list[list[str]]:
    """Reads a keyset-paginated list like a reader: the first page, every next page, then
    the last page and the one before it. Returns the ids (``row="(\\d+)"`` pattern of a
    row's data attribute, e.g. ``data-customer``) per page, after checking that the last
    link lands on the final page, previous on the page before it, and that every pager
    link keeps the filters in ``keep``."""
    pattern = re.compile(rf'{row}="(\d+)"')
    pages, seen_links = [], []
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    first_links = pager_links(body)
    while True:
        pages.append(pattern.findall(body))
        links = pager_links(body)
        seen_links.extend(links.values())
        if "next" not in links:
            break
        assert len(pages) < 1000, "the pager does not end"
        body = client.get(links["next"]).content.decode()
    if len(pages) > 1:
        # The last page is the final full page, read backwards from the end; the one
        # before it the rows before that (or the first page once back at the start).
        rows, size = [row for page in pages for row in page], len(pages[0])
        last_body = client.get(first_links["last"]).content.decode()
        assert pattern.findall(last_body) == rows[-size:]
        previous = client.get(pager_links(last_body)["prev"]).content.decode()
        start = len(rows) - 2 * size
        assert pattern.findall(previous) == (rows[start:-size] if start >= 0 else rows[:size])
        if start > 0:
            first = client.get(pager_links(previous)["first"]).content.decode()
            assert pattern.findall(first) == pages[0]
        else:
            assert "first" not in pager_links(previous)
    for name, value in (keep or {}).items():
        assert seen_links, "no pager link to check"
        assert all(f"{name}={value}" in link for link in seen_links), name
    return pages


def unbounded_counts(queries, table: str) -> list[str]:
    """``COUNT(`` queries over ``table`` with no LIMIT: what a page of a long list must
    never run (a bounded count of a short list has a LIMIT)."""
    return [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper() and f'"{table}"' in q["sql"] and "LIMIT" not in q["sql"]
    ]
