"""The settings module in its modes, each checked in a fresh interpreter: settings are
read once at start-up, so only a new process shows what an environment really does."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from carecrm.settings import env_bool

BASE_DIR = Path(settings.BASE_DIR)
# Everything the settings read, so a test's environment starts from nothing.
SETTINGS_VARIABLES = (
    "DJANGO_ENV", "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "DATABASE_URL",
    "REDIS_URL", "CSRF_TRUSTED_ORIGINS", "LANGUAGE_CODE", "CELERY_TASK_ALWAYS_EAGER",
    "SECURE_SSL_REDIRECT", "STATIC_ROOT", "MEDIA_ROOT",
)  # fmt: skip


def run_django(tmp_path, code_or_args, **env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env["CARECRM_VAR_DIR"] = str(tmp_path / "var")
    env["STATIC_ROOT"] = str(tmp_path / "static")
    env.update(env_overrides)
    if isinstance(code_or_args, str):
        command = [sys.executable, "-c", "import django; django.setup()\n" + code_or_args]
        env["DJANGO_SETTINGS_MODULE"] = "carecrm.settings"
    else:
        command = [sys.executable, "manage.py", *code_or_args]
    return subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def production_env(**extra) -> dict:
    return {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "crm.example.com",
        **extra,
    }


PRINT_BACKENDS = """
from django.conf import settings
print(settings.DATABASES["default"]["ENGINE"])
print(settings.CACHES["default"]["BACKEND"])
print(settings.CELERY_BROKER_URL)
print(settings.CELERY_RESULT_BACKEND)
"""


def test_production_without_secret_key_exits_with_a_clear_message(tmp_path):
    result = run_django(tmp_path, ["check"], DJANGO_ENV="production", ALLOWED_HOSTS="crm.example")
    assert result.returncode != 0
    assert "CareCRM configuration error: SECRET_KEY is required when DJANGO_ENV=production" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_production_without_allowed_hosts_exits_with_a_clear_message(tmp_path):
    result = run_django(
        tmp_path, ["check"], DJANGO_ENV="production", SECRET_KEY=secrets.token_urlsafe(64)
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required when DJANGO_ENV=production" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_debug(tmp_path):
    result = run_django(tmp_path, ["check"], **production_env(DEBUG="true"))
    assert result.returncode != 0
    assert "DEBUG must not be on when DJANGO_ENV=production" in result.stderr


def test_deploy_check_is_clean_in_production_mode(tmp_path):
    result = run_django(
        tmp_path, ["check", "--deploy", "--fail-level", "WARNING"], **production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(secrets.token_urlsafe(64) + "\n")
    env = production_env(SECRET_KEY_FILE=str(key_file))
    del env["SECRET_KEY"]
    result = run_django(
        tmp_path, "from django.conf import settings; print(len(settings.SECRET_KEY))", **env
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) == len(key_file.read_text().strip())


def test_no_environment_means_sqlite_and_filesystem_broker_under_var(tmp_path):
    result = run_django(tmp_path, PRINT_BACKENDS)
    assert result.returncode == 0, result.stderr
    engine, cache, broker, backend = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert cache == "django.core.cache.backends.locmem.LocMemCache"
    assert broker == "filesystem://"
    assert backend == f"file://{tmp_path / 'var' / 'celery' / 'results'}"
    assert (tmp_path / "var" / "dev-secret-key").exists()
    folders = run_django(
        tmp_path,
        "from django.conf import settings\n"
        "print(sorted(set(settings.CELERY_BROKER_TRANSPORT_OPTIONS.values()) - {False}))",
    )
    broker_dir = tmp_path / "var" / "celery"
    assert folders.stdout.strip() == str(
        sorted(str(broker_dir / sub) for sub in ("control", "out", "processed"))
    )


def test_database_url_and_redis_url_switch_the_backends(tmp_path):
    result = run_django(
        tmp_path,
        PRINT_BACKENDS,
        DATABASE_URL="postgres://carecrm@db.internal:5432/carecrm",
        REDIS_URL="redis://cache.internal:6379/2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.internal:6379/2",
        "redis://cache.internal:6379/2",
    ]


def test_a_junk_boolean_is_a_configuration_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CARECRM_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="CARECRM_TEST_FLAG must be true or false"):
        env_bool("CARECRM_TEST_FLAG", default=False)
    result = run_django(tmp_path, ["check"], DEBUG="yes please")
    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'yes please'" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("1", True), ("False", False), ("0", False), ("", True), (None, True)],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("CARECRM_TEST_FLAG", raising=False)
    else:
        monkeypatch.setenv("CARECRM_TEST_FLAG", raw)
    assert env_bool("CARECRM_TEST_FLAG", default=True) is expected


def test_every_environment_variable_is_documented_in_the_readme():
    source = (BASE_DIR / "carecrm" / "settings.py").read_text()
    names = set(
        re.findall(
            r"""(?:os\.environ\.get|env_bool|env_secret|env\.\w+)\(\s*["']([A-Z][A-Z0-9_]+)""",
            source,
        )
    )
    names |= {f"{name}_FILE" for name in re.findall(r"""env_secret\(\s*["'](\w+)""", source)}
    readme = (BASE_DIR / "README.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert len(names) > 20
    assert missing == [], f"README.md's configuration table lacks {missing}"
