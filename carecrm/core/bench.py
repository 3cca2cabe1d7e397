"""Benchmark plumbing: suites measure, this module times and writes ``docs/BENCHMARKS.md``.

Every figure stands next to a bare-PostgreSQL baseline measured in the same run on the
same server, so the ratio — not the absolute number, which depends on the machine — is
what a reader compares between runs.
"""

import datetime as dt
import os
import platform
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

BENCHMARKS_FILE = Path(settings.BASE_DIR) / "docs" / "BENCHMARKS.md"


@dataclass(frozen=True)
class Figure:
    """One measured figure. ``higher_is_better`` for rates (rows/s), not for times."""

    name: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline_value: float | None = None
    higher_is_better: bool = False
    goal: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times slower than the baseline (1.0 = as fast as bare PostgreSQL)."""
        if not self.baseline_value or not self.value:
            return None
        if self.higher_is_better:
            return self.baseline_value / self.value
        return self.value / self.baseline_value


suites: dict[str, Callable] = {}


def register_suite(name: str, run: Callable) -> None:
    """``run(*, scale: float, stdout) -> list[Figure]``; scale 1.0 is the issue's size."""
    suites[name] = run


class Stopwatch:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start


def timed(fn: Callable, *, repeat: int) -> list[float]:
    """Run ``fn`` ``repeat`` times; return each run's seconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def server_settings() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
        cursor.execute("SHOW work_mem")
        work_mem = cursor.fetchone()[0]
    return f"PostgreSQL {version}, shared_buffers={buffers}, work_mem={work_mem}"


def _format_value(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def child_env() -> dict:
    """The environment for a child process (a worker, an importer) that must work on the
    bench's throw-away database, with no broker: it runs tasks inline."""
    env = dict(os.environ)
    parts = urlsplit(env["DATABASE_URL"])
    env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    for name in ("REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"):
        env.pop(name, None)
    env["DJANGO_SETTINGS_MODULE"] = "carecrm.settings"
    return env


def machine_load() -> str:
    """What else the machine was doing: a busy machine slows the app and its baseline alike,
    but not always equally, so a figure taken on one says so."""
    one_minute = os.getloadavg()[0]
    return f"load average {one_minute:.2f} on {os.cpu_count()} cores when it started"


def render_section(
    suite: str, figures: list[Figure], *, scale: float, seconds: float, load: str = ""
) -> str:
    lines = [
        f"<!-- bench:{suite} -->",
        f"## {suite}",
        "",
        f"Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on {platform.node()} "
        f"({platform.processor() or platform.machine()}), {server_settings()}; "
        f"scale {scale:g}; the suite took {seconds:,.0f} s" + (f"; {load}." if load else "."),
        "",
        "| figure | value | baseline (bare PostgreSQL) | ratio | goal |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for figure in figures:
        baseline = (
            f"{_format_value(figure.baseline_value)} {figure.unit} — {figure.baseline_name}"
            if figure.baseline_value is not None
            else "—"
        )
        ratio = f"{figure.ratio:.2f}×" if figure.ratio is not None else "—"
        lines.append(
            f"| {figure.name} | {_format_value(figure.value)} {figure.unit} | {baseline} "
            f"| {ratio} | {figure.goal} |"
        )
    lines += ["", f"<!-- /bench:{suite} -->"]
    return "\n".join(lines)


def write_section(suite: str, section: str, path: Path = BENCHMARKS_FILE) -> None:
    """Replace this suite's section in the file (other suites' figures stay)."""
    header = (
        "# Benchmarks\n\nWritten by `make bench` (`python manage.py bench SUITE`), never by "
        "hand. Ratios compare CareCRM with a bare PostgreSQL statement doing the same work "
        "in the same run (for rates: baseline rate ÷ CareCRM rate; for times: CareCRM time ÷ "
        "baseline time).\n"
    )
    text = path.read_text() if path.exists() else header
    pattern = re.compile(
        rf"<!-- bench:{re.escape(suite)} -->.*?<!-- /bench:{re.escape(suite)} -->", re.S
    )
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
