"""``manage.py runall``: the web server, a Celery worker and Celery beat in one terminal.

A small process supervisor for development (``make run``): each process runs in its own
process group with its output prefixed by its name; Ctrl-C (or SIGTERM) stops all three,
and if one of them dies the others are stopped too, so nothing is left running unnoticed.
Production runs the three as separate services instead (docker-compose.yml).
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

COLOURS = {"web": "\033[36m", "worker": "\033[33m", "beat": "\033[35m"}
RESET = "\033[0m"
STOP_TIMEOUT = 15


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and beat together; Ctrl-C stops all three."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument(
            "--web",
            choices=["runserver", "gunicorn"],
            default="runserver",
            help="runserver (reloads on code changes) or gunicorn",
        )
        parser.add_argument(
            "--logins-file",
            default=str(Path(settings.VAR_DIR) / "demo-logins.txt"),
            help="demo logins to print once everything has started",
        )

    def handle(self, *args, addr: str, web: str, logins_file: str, **options):
        python = sys.executable
        if web == "runserver":
            web_command = [python, "manage.py", "runserver", addr]
        else:
            web_command = [
                python, "-m", "gunicorn", "carecrm.wsgi", "--bind", addr,
                "--workers", "2", "--access-logfile", "-",
            ]  # fmt: skip
        commands = {
            "web": web_command,
            "worker": [
                python, "-m", "celery", "-A", "carecrm", "worker",
                "--loglevel=INFO", "--concurrency=2",
            ],
            "beat": [python, "-m", "celery", "-A", "carecrm", "beat", "--loglevel=INFO"],
        }  # fmt: skip
        self.colour = sys.stdout.isatty()
        self.lock = threading.Lock()
        self.processes: dict[str, subprocess.Popen] = {}
        stopping = threading.Event()

        def request_stop(signum, frame):
            stopping.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for name, command in commands.items():
            self.processes[name] = subprocess.Popen(  # noqa: S603 (our own fixed commands)
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # own process group: we decide when it stops
            )
            threading.Thread(target=self._pump, args=(name,), daemon=True).start()

        self._announce(addr, Path(logins_file))
        failed = None
        while not stopping.is_set():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    failed = f"{name} exited with code {process.returncode}"
                    stopping.set()
                    break
            stopping.wait(0.5)

        self._say(f"stopping ({failed or 'Ctrl-C'}) ...")
        self._stop_all()
        if failed:
            raise CommandError(failed)
        self._say("all stopped.")

    def _pump(self, name: str) -> None:
        process = self.processes[name]
        prefix = f"{name:<6}| "
        if self.colour:
            prefix = f"{COLOURS[name]}{prefix}{RESET}"
        for line in process.stdout:
            with self.lock:
                sys.stdout.write(prefix + line)
                sys.stdout.flush()

    def _say(self, message: str) -> None:
        with self.lock:
            sys.stdout.write(f"runall| {message}\n")
            sys.stdout.flush()

    def _announce(self, addr: str, logins_file: Path) -> None:
        lines = [
            "",
            f"CareCRM is starting at http://{addr}/  (web, Celery worker and beat; "
            "Ctrl-C stops all three)",
        ]
        if logins_file.exists():
            lines += [f"Logins from {logins_file}:", logins_file.read_text().rstrip()]
        else:
            lines.append("Create logins with: python manage.py seed_demo (or createsuperuser)")
        self._say("\n".join(lines) + "\n")

    def _stop_all(self) -> None:
        # Celery's main process shuts its pool down itself (a signal to the whole group
        # would kill busy children mid-task); runserver's reloader does not forward
        # signals, so its group gets one. Whatever is left afterwards is killed.
        for name, process in self.processes.items():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    if name == "web":
                        os.killpg(process.pid, signal.SIGTERM)
                    else:
                        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._say(f"{name} did not stop in {STOP_TIMEOUT} s; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
