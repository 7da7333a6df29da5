"""Configuration read from the environment, with embedded defaults.

Unset variables give the embedded mode of ``make run``: a SQLite file and a
filesystem Celery broker under ``instance/``, mail written to files. Setting
``DATABASE_URL`` and ``REDIS_URL`` switches to PostgreSQL and Redis without any
other change.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
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


# Celery queues: e-mail delivery has a queue of its own, so that thousands of
# reminders queued at once never delay the short tasks of the rest of the app
# (waiting-list promotion, expiry), and a worker can be given to each. Every
# worker command (Procfile, scripts/run-dev.sh, tests/workers.py) consumes both.
MAIL_QUEUE = "mail"
DEFAULT_QUEUE = "default"
MAIL_TASKS = ("notifications.send_email", "notifications.send_email_batch")

# E-mail retries (see ``notifications.tasks.retry_delay``): the n-th retry
# waits a random time between half and all of ``base * 2**n`` seconds, at most
# ``max``. Defaults: 30 s, 1 min, 2 min… capped at 10 min, so the last retry
# comes before the relay's 15-minute re-dispatch of unsent e-mails.
DEFAULT_MAIL_RETRY_BACKOFF = 30.0
DEFAULT_MAIL_RETRY_BACKOFF_MAX = 600.0
DEFAULT_MAIL_MAX_RETRIES = 6
# Hard limit of one task: a batch of ``MAIL_BATCH_SIZE`` e-mails on a slow SMTP
# server must fit (50 × a 2 s answer is well under it).
TASK_SOFT_TIME_LIMIT = 120
TASK_TIME_LIMIT = 180


def visibility_timeout_for(retry_backoff_max: float, time_limit: float = TASK_TIME_LIMIT) -> int:
    """Redis's visibility timeout: how long a message taken by a worker and
    not acknowledged stays invisible before Redis gives it to another worker.
    A retry waiting for its countdown is such a message (held unacknowledged
    by the worker until its time), and so is a task running up to its hard
    time limit: the timeout must exceed both, or a waiting retry would be
    delivered a second time. Twice the longer, plus five minutes."""
    return int(2 * max(retry_backoff_max, time_limit) + 300)


def celery_settings(
    redis_url: str | None,
    instance_path: Path,
    *,
    retry_backoff_max: float = DEFAULT_MAIL_RETRY_BACKOFF_MAX,
    visibility_timeout: int | None = None,
) -> dict:
    """Celery settings: Redis when ``redis_url`` is set, else a filesystem
    broker that needs no server (kombu's filesystem transport).

    ``visibility_timeout`` (Redis) defaults to ``visibility_timeout_for``
    the longest retry delay; tests make it short to see a killed worker's
    messages come back within seconds."""
    settings: dict = {
        # Nothing reads task results: the outbox rows hold the outcome.
        "task_ignore_result": True,
        "timezone": "UTC",
        "enable_utc": True,
        # A worker started before Redis keeps trying instead of exiting.
        "broker_connection_retry_on_startup": True,
        # Tasks are short and idempotent: take one message at a time so a slow
        # task (a batch on a slow SMTP server) does not hold others hostage,
        # and a killed worker had taken as few as possible.
        "worker_prefetch_multiplier": 1,
        # Acknowledge after the task has run, not before: a worker killed
        # mid-task (kill -9, OOM, a machine lost) leaves its message to be
        # delivered again. Safe because every task is idempotent (an outbox
        # row already sent is skipped).
        "task_acks_late": True,
        # The same when a pool process dies under a running task: requeue
        # rather than record a failure.
        "task_reject_on_worker_lost": True,
        # A stuck SMTP or database call must not hold a worker forever: the
        # soft limit lets a batch re-queue what it has not sent, the hard one
        # kills the process (the message is then redelivered, see above).
        "task_soft_time_limit": TASK_SOFT_TIME_LIMIT,
        "task_time_limit": TASK_TIME_LIMIT,
        "task_default_queue": DEFAULT_QUEUE,
        "task_routes": {name: {"queue": MAIL_QUEUE} for name in MAIL_TASKS},
        # Publishing happens after a commit, in a web request: if the broker
        # is down, give up fast (the outbox row stays pending and the relay
        # publishes it later) instead of Celery's default ~0.6 s of retries
        # per message, or minutes on an unanswered connection.
        "task_publish_retry_policy": {
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.1,
            "interval_max": 0.1,
        },
        "broker_connection_timeout": 2,
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
            # Reminders come due: schedules live in the database, beat only
            # asks every minute what is due (eventsapp/reminders/tasks.py).
            "scan-due-reminders": {"task": "reminders.scan_due", "schedule": 60.0},
        },
    }
    if redis_url:
        timeout = visibility_timeout or visibility_timeout_for(retry_backoff_max)
        # A short timeout (tests) is only useful if abandoned messages are
        # looked for as often; kombu's default sweeps every ~100 s.
        sweep = 1 if timeout < 600 else 10
        settings.update(
            broker_url=redis_url,
            result_backend=redis_url,
            broker_transport_options={
                "visibility_timeout": timeout,
                "unacked_restore_interval": sweep,
                "unacked_restore_throttle": sweep,
                # Bounded waits on a Redis that is down or unreachable: a web
                # request publishing after its commit must never hang. The
                # worker's BRPOP waits 1 s, well under the socket timeout.
                "socket_connect_timeout": 2,
                "socket_timeout": 10,
            },
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
        # The embedded mode (`make run` on a laptop): no DATABASE_URL. Only
        # there do the dev mailbox and the demo accounts (published password)
        # exist; a deployment with a database never has them, whatever its
        # mail settings.
        self.EMBEDDED_MODE = not os.environ.get("DATABASE_URL")
        # E-mail delivery: retries (see DEFAULT_MAIL_RETRY_*), and how many
        # e-mails one task sends on one SMTP connection.
        self.MAIL_RETRY_BACKOFF = float(os.environ.get("MAIL_RETRY_BACKOFF", DEFAULT_MAIL_RETRY_BACKOFF))
        self.MAIL_RETRY_BACKOFF_MAX = float(
            os.environ.get("MAIL_RETRY_BACKOFF_MAX", DEFAULT_MAIL_RETRY_BACKOFF_MAX)
        )
        self.MAIL_MAX_RETRIES = int(os.environ.get("MAIL_MAX_RETRIES", DEFAULT_MAIL_MAX_RETRIES))
        self.MAIL_BATCH_SIZE = int(os.environ.get("MAIL_BATCH_SIZE", "50"))
        visibility = os.environ.get("CELERY_VISIBILITY_TIMEOUT")
        self.CELERY = celery_settings(
            self.REDIS_URL,
            instance,
            retry_backoff_max=self.MAIL_RETRY_BACKOFF_MAX,
            visibility_timeout=int(visibility) if visibility else None,
        )
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
        # Files (shown by the dev mailbox) only in the embedded mode without a
        # mail server; anywhere else SMTP, to MAIL_SERVER or localhost:25.
        self.MAIL_BACKEND = os.environ.get(
            "MAIL_BACKEND", "file" if self.EMBEDDED_MODE and not os.environ.get("MAIL_SERVER") else "smtp"
        )
        self.MAIL_FILE_DIR = str(instance / "mail")
        # Rate limits (eventsapp/ratelimit.py): counters in Redis in production,
        # in memory otherwise. A slow or absent Redis lets requests through
        # rather than refusing sign-ups.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        # Redis down: keep counting in each process's memory rather than not
        # at all (Flask-Limiter checks every so often whether Redis is back).
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = bool(self.REDIS_URL)
        self.RATELIMIT_STORAGE_OPTIONS = (
            {"socket_timeout": 1, "socket_connect_timeout": 1} if self.REDIS_URL else {}
        )
        # Sign-up form submissions per client address (Flask-Limiter syntax).
        self.SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "10 per minute;50 per hour")
        # Empty: the defaults of eventsapp/ratelimit.py.
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "")
        self.LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "")
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
        # Session and "remember me" cookies (organisers' logins): sent only
        # over HTTPS when the public address is HTTPS (SESSION_COOKIE_SECURE
        # overrides), never readable by scripts, not sent on cross-site
        # posts. A remembered login lasts 14 days, and ends at once when the
        # password changes (accounts.login).
        https = self.PUBLIC_URL.startswith("https://")
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", https)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = timedelta(days=14)
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
        self.EMBEDDED_MODE = False

    __test__ = False  # not a pytest test class
