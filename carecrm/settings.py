"""CareCRM settings: one module, driven by environment variables.

With no environment it runs embedded (SQLite file and Celery filesystem transport under
``var/``); ``DATABASE_URL`` / ``REDIS_URL`` switch to PostgreSQL and Redis;
``DJANGO_ENV=production`` turns on every deploy safeguard and refuses to start without
``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CARECRM_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: anything but true/false/1/0 is a configuration error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name) or None


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
if DJANGO_ENV not in ("development", "production", "test"):
    raise ImproperlyConfigured("DJANGO_ENV must be development, production or test")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must not be on when DJANGO_ENV=production")

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DJANGO_ENV=production "
            "(set SECRET_KEY or SECRET_KEY_FILE to a long random value)"
        )
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DJANGO_ENV=production")
if not PRODUCTION and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "carecrm.accounts",
    "carecrm.core",
    "customers",
    "segmentation",
    "delivery",
    "budgets",
    "campaigns",
    "events",
    "feedback",
    "loyalty",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "carecrm.core.uploads.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "carecrm.core.query_text.QueryTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "carecrm.urls"
# Inputs and selects are written out in Python (a list page renders dozens); a select's
# empty choice reads "Choose…" or "(none)" in the user's language, not Django's "---------".
FORM_RENDERER = "carecrm.core.widget_rendering.WidgetRenderer"
WSGI_APPLICATION = "carecrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carecrm.core.context_processors.navigation",
                "carecrm.core.context_processors.brand",
            ],
        },
    },
]

# Database: SQLite file by default, anything dj-database-url understands via DATABASE_URL.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "carecrm.sqlite3",
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL") or None
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "carecrm"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "carecrm.accounts.validators.KeyboardPatternValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection (OWASP ASVS L2): lock a username+IP pair after 5 failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a reverse proxy REMOTE_ADDR is the proxy: every user would share one lockout.
# TRUSTED_PROXY_COUNT proxies in front (0: none) append to X-Forwarded-For; the client is
# the address the outermost trusted proxy saw. Never trust the header without a proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "carecrm.accounts.client_ip.client_ip"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "carecrm.core.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Container and load-balancer health checks call /health/ over plain HTTP from inside.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Secure-sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["carecrm.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
VENDOR_DIR = BASE_DIR / "node_modules"
STATICFILES_DIRS += [
    (f"vendor/{name}", VENDOR_DIR / path)
    for name, path in (
        ("bootstrap", "bootstrap/dist"),
        ("bootstrap-icons", "bootstrap-icons/font"),
        ("htmx", "htmx.org/dist"),
        ("chart.js", "chart.js/dist"),
    )
    if (VENDOR_DIR / path).is_dir()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
# Uploads over 5 MB go to a temporary file, never into memory. DATA_UPLOAD_MAX_MEMORY_SIZE
# bounds the non-file part of a request (form fields, JSON); files are bounded by the limits
# below, checked on the declared size before a byte of the file is read.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Import files (issue 13): a proxy in front should refuse bodies over IMPORT_MAX_BYTES too.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = env.int(
    "IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024
)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=200)
IMPORT_MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
# The largest request body: an import file plus room for the multipart form around it.
REQUEST_MAX_BYTES = IMPORT_MAX_BYTES + 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# An API token works this many days after it is issued (and never after a password change).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=30)
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "carecrm.core.api.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "carecrm.accounts.tokens.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["carecrm.core.permissions.IsAuthenticatedWithModelPerms"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "carecrm.core.schema.ApiAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_RATE_LIMIT", "5000/hour"),
        "export": os.environ.get("EXPORT_RATE_LIMIT", "60/hour"),
    },
}
# Customer searches per user, pages and API together (carecrm.core.search_throttle).
SEARCH_RATE_LIMIT = os.environ.get("SEARCH_RATE_LIMIT", "120/minute")
# Full phone numbers a user may have shown per hour on masked pages ("show number" for a
# call, each one audited with its reason: customers.services.calling).
PHONE_REVEALS_PER_HOUR = env.int("PHONE_REVEALS_PER_HOUR", default=30)
SPECTACULAR_SETTINGS = {
    "TITLE": "CareCRM API",
    "DESCRIPTION": "Customer-care programmes: customers, segments, campaigns, events.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps every endpoint: only signed-in users read it.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "customers.models.Channel",
        "CustomerKindEnum": "customers.models.CustomerKind",
        "ImportKindEnum": "customers.models.ImportKind",
        "InteractionKindEnum": "customers.models.InteractionKind",
        "IntentKindEnum": "customers.models.IntentKind",
        "InteractionOutcomeEnum": "customers.models.InteractionOutcome",
        "VerificationOutcomeEnum": "customers.models.VerificationOutcome",
        "TaskOutcomeEnum": "campaigns.models.choices.TaskOutcome",
        "TouchChannelEnum": "campaigns.models.TouchChannel",
        "OfflineChannelEnum": "campaigns.models.OfflineChannel",
        "DeliveryChannelEnum": "delivery.models.DeliveryChannel",
        "MessageStatusEnum": "delivery.models.MessageStatus",
        "SuppressionReasonEnum": "delivery.models.SuppressionReason",
        "ResponseSourceEnum": "feedback.models.ResponseSource",
        "FeedbackTopicEnum": "feedback.models.Topic",
    },
}

# Celery: Redis in production, the filesystem transport when embedded.
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    broker_dir = VAR_DIR / "celery"
    for sub in ("out", "processed", "control"):
        (broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker_dir / "out"),
        "data_folder_out": str(broker_dir / "out"),
        "processed_folder": str(broker_dir / "processed"),
        # exchange bindings; kombu's default is ./control in whatever the cwd is
        "control_folder": str(broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{broker_dir / 'results'}"
    (broker_dir / "results").mkdir(parents=True, exist_ok=True)
if REDIS_URL:
    # A task unacknowledged this long is redelivered; longer than any task may run, and
    # schedules live in the database so no long ETAs wait in the broker (docs/delivery.md).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": "carecrm-results:"}
# The queue workers consume and tasks go to unless routed: several CareCRM installations
# (or test runs) sharing one Redis each use their own.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=1500)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=1800)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CareCRM <care@example.com>")

# Delivery (the delivery app): one backend per channel, chosen by environment.
# Backends: "file" (JSON lines under DELIVERY_FILE_DIR, the default for SMS, WeCom and
# push), "console", "http" (a JSON gateway), "aliyun" (SMS only); email always goes
# through Django's EMAIL_BACKEND above.
DELIVERY_FILE_DIR = os.environ.get("DELIVERY_FILE_DIR", str(VAR_DIR / "messages"))
DELIVERY_CHANNELS = {
    channel: {
        "BACKEND": os.environ.get(
            f"DELIVERY_{channel.upper()}_BACKEND", "email" if channel == "email" else "file"
        ),
        "URL": os.environ.get(f"DELIVERY_{channel.upper()}_URL", ""),
        "TOKEN": os.environ.get(f"DELIVERY_{channel.upper()}_TOKEN", ""),
        "SECRET": env_secret(f"DELIVERY_{channel.upper()}_SECRET") or "",
        # messages per second across all workers (0: no limit)
        "RATE": env.int(f"DELIVERY_{channel.upper()}_RATE", default=0),
        "BATCH": env.int(f"DELIVERY_{channel.upper()}_BATCH", default=0),
    }
    for channel in ("sms", "email", "wecom", "push")
}
DELIVERY_CHANNELS["sms"]["SIGN_NAME"] = os.environ.get("DELIVERY_SMS_SIGN_NAME", "")
DELIVERY_CHANNELS["sms"]["TEMPLATE"] = os.environ.get("DELIVERY_SMS_TEMPLATE", "")
# At most this many senders are started each minute; each takes its own batches.
DELIVERY_SENDERS = env.int("DELIVERY_SENDERS", default=4)
DELIVERY_HTTP_TIMEOUT = env.float("DELIVERY_HTTP_TIMEOUT", default=10.0)
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=6)
DELIVERY_RETRY_BASE_SECONDS = env.int("DELIVERY_RETRY_BASE_SECONDS", default=60)
# A claimed message not finished within this long belongs to a dead sender: given back to
# the queue if it was never handed to the provider, marked uncertain if it was.
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=300)
# An uncertain message (answer lost after the post) is checked with a provider that can
# say whether it has it only after this long, so a slow request is not taken for lost.
DELIVERY_LOOKUP_GRACE_SECONDS = env.int("DELIVERY_LOOKUP_GRACE_SECONDS", default=120)
# Shared secret of the receipt and inbound-SMS webhooks (HMAC-SHA256 of the body).
DELIVERY_WEBHOOK_SECRET = env_secret("DELIVERY_WEBHOOK_SECRET") or ""
# Conversions: orders within this many days after a touch.
DELIVERY_CONVERSION_DAYS = env.int("DELIVERY_CONVERSION_DAYS", default=14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every layout step and fontTools every subset at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
