"""Configuration read from the environment, with embedded defaults.

Unset variables give the embedded mode of ``make run``: a SQLite file and a
filesystem Celery broker under ``instance/``, mail written to files. Setting
``DATABASE_URL`` and ``REDIS_URL`` switches to PostgreSQL and Redis without any
other change.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs given in the usual forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one kept in ``instance/`` so that
    sessions survive restarts of the embedded mode."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def celery_settings(redis_url: str | None, instance_path: Path) -> dict:
    """Celery settings: Redis when ``REDIS_URL`` is set, else a filesystem
    broker that needs no server (kombu's filesystem transport)."""
    settings: dict = {
        "task_ignore_result": True,
        "timezone": "UTC",
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        # Tasks are short and idempotent: take one message at a time so a slow
        # task does not hold others hostage.
        "worker_prefetch_multiplier": 1,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_soft_time_limit": 120,
        "task_time_limit": 180,
        "beat_schedule": {
            # Double opt-in registrations never confirmed release their seats.
            "expire-pending-registrations": {
                "task": "registrations.expire_pending",
                "schedule": 300.0,
            },
            # The consent text promises erasure 12 months after the event.
            "anonymise-old-registrations": {
                "task": "registrations.anonymise_old",
                "schedule": 24 * 3600.0,
            },
            # Outbox rows the after-commit dispatch did not get through.
            "relay-outbox": {"task": "notifications.relay_outbox", "schedule": 60.0},
        },
    }
    if redis_url:
        settings.update(
            broker_url=redis_url,
            result_backend=redis_url,
            # Longer than any retry delay, so an unacked task is not redelivered
            # while it is still legitimately waiting.
            broker_transport_options={"visibility_timeout": 3 * 3600},
        )
    else:
        queue_dir = instance_path / "celery" / "queue"
        processed_dir = instance_path / "celery" / "processed"
        results_dir = instance_path / "celery" / "results"
        settings.update(
            broker_url="filesystem://",
            broker_transport_options={
                "data_folder_in": str(queue_dir),
                "data_folder_out": str(queue_dir),
                "processed_folder": str(processed_dir),
                # kombu's default is a relative "control" folder in the cwd.
                "control_folder": str(instance_path / "celery" / "control"),
                "store_processed": False,
                "polling_interval": 0.5,
            },
            result_backend=f"file://{results_dir}",
            beat_schedule_filename=str(instance_path / "celery" / "beat-schedule"),
        )
    return settings


def engine_options(database_url: str) -> dict:
    """Engine options: pre-ping pooled connections, and never wait forever for
    a PostgreSQL server that accepts connections but does not answer."""
    options: dict = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": 3}
    return options


class Config:
    """Settings read from the environment when the app is created."""

    def __init__(self, instance_path: Path | None = None) -> None:
        instance = Path(instance_path or os.environ.get("INSTANCE_PATH") or DEFAULT_INSTANCE_PATH)
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = _secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'eventsapp.sqlite'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.CELERY = celery_settings(self.REDIS_URL, instance)
        self.TIMEZONE = os.environ.get("TIMEZONE", "Europe/Paris")
        self.BABEL_DEFAULT_LOCALE = "fr"
        self.BABEL_DEFAULT_TIMEZONE = self.TIMEZONE
        self.SITE_NAME = os.environ.get("SITE_NAME", "eventsapp")
        # The address people use, for links in e-mails and feeds.
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
        self.AGENDA_PAGE_SIZE = int(os.environ.get("AGENDA_PAGE_SIZE", "20"))
        # Mail: SMTP in production; in the embedded mode messages are written
        # as files under instance/mail (MAIL_BACKEND=file).
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = os.environ.get(
            "MAIL_DEFAULT_SENDER", "eventsapp <ne-pas-repondre@eventsapp.localhost>"
        )
        self.MAIL_BACKEND = os.environ.get(
            "MAIL_BACKEND", "smtp" if os.environ.get("MAIL_SERVER") else "file"
        )
        self.MAIL_FILE_DIR = str(instance / "mail")
        # Rate limits (eventsapp/ratelimit.py): counters in Redis in production,
        # in memory otherwise. A slow or absent Redis lets requests through
        # rather than refusing sign-ups.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_STORAGE_OPTIONS = (
            {"socket_timeout": 1, "socket_connect_timeout": 1} if self.REDIS_URL else {}
        )
        # Sign-up form submissions per client address (Flask-Limiter syntax).
        self.SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "10 per minute;50 per hour")
        # Number of reverse proxies in front of the app that set X-Forwarded-For
        # (0: use the connection's address), so limits count client addresses.
        self.PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
        # Rendered public pages (see eventsapp/caching.py): Redis shared by all
        # processes in production; files under instance/ in the embedded mode
        # so that the worker's changes reach the web server too.
        if self.REDIS_URL:
            self.CACHE_TYPE = "RedisCache"
            self.CACHE_REDIS_URL = self.REDIS_URL
            # A slow cache must not hang pages or commits: give up quickly.
            self.CACHE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
        else:
            self.CACHE_TYPE = "FileSystemCache"
            self.CACHE_DIR = str(instance / "cache")
            self.CACHE_THRESHOLD = 5000
        # CACHE_TYPE=NullCache turns page caching off (to measure without it).
        self.CACHE_TYPE = os.environ.get("CACHE_TYPE") or self.CACHE_TYPE
        self.CACHE_KEY_PREFIX = "eventsapp:"
        self.CACHE_DEFAULT_TIMEOUT = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "120"))
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.WTF_CSRF_ENABLED = True
        self.TESTING = False


class TestConfig(Config):
    """Settings for the test suite: a throw-away instance folder, CSRF off
    for the test client, Celery eager for unit tests of services."""

    def __init__(self, instance_path: Path, database_url: str) -> None:
        super().__init__(instance_path)
        self.INSTANCE_PATH = str(instance_path)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(database_url)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        # The environment of the machine running the tests must not leak in.
        self.REDIS_URL = None
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.RATELIMIT_STORAGE_OPTIONS = {}
        # Tests see every change at once; tests/test_page_cache.py turns it on.
        self.CACHE_TYPE = "NullCache"
        self.TESTING = True
        self.WTF_CSRF_ENABLED = False
        self.RATELIMIT_ENABLED = False
        self.CELERY = {**celery_settings(None, instance_path), "task_always_eager": True}
        self.MAIL_BACKEND = "memory"

    __test__ = False  # not a pytest test class
