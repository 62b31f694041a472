"""Settings read from the environment.

With no variables set this is the embedded default: SQLite in var/, DEBUG on,
Celery tasks run eagerly in process, email printed to the console and a
local-memory cache. `DATABASE_URL` and `REDIS_URL` / `CELERY_BROKER_URL`
switch to PostgreSQL and Redis.
"""

from ipaddress import ip_network
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.settings.broker import broker_url
from config.settings.storage import default_storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="embedded-default-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

# The embedded default may create demo accounts and demo campaigns.
DEMO_DATA_ALLOWED = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "axes",
    "rules",  # named predicates: {% load rules %} in templates
    "common",  # one table: applied imports (common/import_session.py)
    "django_otp",  # two-factor log-in: TOTP devices and recovery codes (accounts/two_factor/)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "reform_cases",
    "case_text",  # segmentation, TF-IDF vectors, resubmission and search
    "reviews",
    "notifications",
    "audit",
    "site_setup",
]

MIDDLEWARE = [
    # First, so every later log line of the request carries its id (common/request_id.py).
    "common.request_id.RequestIdMiddleware",
    # The load balancer's probe, answered before the HTTPS redirect, the Host check and the
    # session see it (common/health.py); /healthz?detail=1 goes on to the view.
    "common.health.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # CONTENT_SECURITY_POLICY below
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.CookieLocaleMiddleware",
    # Before anything reads the body, after the language is chosen (its 413 page is translated).
    "config.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.AdministratorIdleTimeoutMiddleware",
    "accounts.middleware.TwoFactorPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            # Take the write lock at BEGIN: a transaction that reads then writes (row "locks"
            # in services) would otherwise fail at once with "database is locked".
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that drops packets fails a page (and /healthz) in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailOrUsernameBackend",
]
# Failed logins are counted per username and address together, so one office
# behind one address is not locked out by a colleague's mistakes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
# The client's address, never a forged X-Forwarded-For entry (TRUSTED_PROXY_COUNT below).
AXES_CLIENT_IP_CALLABLE = "common.client_address.client_address"
AXES_VERBOSE = False
ADMIN_IDLE_TIMEOUT_SECONDS = 30 * 60
# Staff (administrators) must log in with a second factor; production turns this on.
# Anyone may enrol at /accounts/two-factor/; an enrolled user is always asked for a code.
OTP_REQUIRED_FOR_STAFF = False
OTP_TOTP_ISSUER = "改革创新实践案例评选"  # the account's name in the authenticator app
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret key
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first, whatever the browser says; English by explicit choice (cookie).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    # Uploaded files: MEDIA_ROOT, or an S3-compatible store when STORAGE_BUCKET is set
    # (config/settings/storage.py; a half-configured store stops the start).
    "default": default_storage(env),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REDIS_URL = env("REDIS_URL", default="")
# CELERY_BROKER_URL, else REDIS_URL, else memory://; a malformed URL stops the start
# (ImproperlyConfigured) instead of silently running the tasks in process.
CELERY_BROKER_URL = broker_url(env)
CELERY_RESULT_BACKEND = None
# Without a broker the tasks run in process, so the embedded default needs no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL.startswith("redis")
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TIMEZONE = TIME_ZONE
# Two queues. The committee's bundle draws hundreds of PDFs: it goes to its own queue, served by
# the documents worker (deploy/systemd/reform-awards-documents.service, one process), whose
# process does nothing else and so stays under 200 MB (BENCHMARKS.md bench:bundle); a general
# worker's processes grow with the text tasks (jieba's dictionary, the text model: ≈ 260 MB).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_DOCUMENTS_QUEUE = "documents"
CELERY_TASK_ROUTES = {"reviews.tasks.build_committee_bundle": {"queue": CELERY_DOCUMENTS_QUEUE}}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
}
CELERY_BEAT_SCHEDULE = {
    "resend-pending-notifications": {
        "task": "notifications.tasks.resend_pending",
        "schedule": 300.0,
    },
    "review-reminders": {"task": "reviews.tasks.send_review_reminders", "schedule": 3600.0},
    # Weekly, Sunday 03:00 (Asia/Shanghai): a new text model on every case handed in, and every
    # case vector recomputed under it (case_text/services.refit_model).
    "refit-text-model": {
        "task": "case_text.tasks.refit_model",
        "schedule": crontab(minute=0, hour=3, day_of_week="sunday"),
    },
    # Nightly: experts whose keywords or reviewed cases changed (reviews/panels/expert_vectors.py).
    "refresh-expert-vectors": {
        "task": "reviews.tasks.refresh_expert_vectors",
        "schedule": 24 * 3600.0,
    },
    # Daily: files of committee bundles past COMMITTEE_BUNDLE_KEEP_DAYS deleted.
    "expire-committee-bundles": {
        "task": "reviews.tasks.expire_committee_bundles",
        "schedule": 24 * 3600.0,
    },
    # Daily; what it erases is said in reform_cases/publication/retention.py.
    "erase-expired-personal-data": {
        "task": "reform_cases.tasks.erase_expired_personal_data",
        "schedule": 24 * 3600.0,
    },
}
# The worker's lines carry the id of the request that enqueued the task (common/request_id.py
# adds the filter to the worker's handlers).
CELERY_WORKER_LOG_FORMAT = (
    "[%(asctime)s: %(levelname)s/%(processName)s] [%(request_id)s] %(message)s"
)
CELERY_WORKER_TASK_LOG_FORMAT = (
    "[%(asctime)s: %(levelname)s/%(processName)s] [%(request_id)s] "
    "%(task_name)s[%(task_id)s]: %(message)s"
)
NOTIFICATION_CHANNELS = ["notifications.channels.EmailChannel"]

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, without a new Redis client per call (common/redis_cache.py).
            "BACKEND": "common.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="rca"),
            # A hung Redis fails the request in seconds instead of holding the worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# With Redis, sessions are read from the cache (written to both): one query less on every
# signed-in request (bench/deadline.py). Never with local memory, which each worker keeps
# for itself: a session ended in one worker would live on in another's copy.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
RESULTS_CACHE_SECONDS = env.int("RESULTS_CACHE_SECONDS", default=24 * 3600)
# With Redis, each worker re-reads the results generation at most this often (seconds);
# 0 reads it on every request. Local memory needs no memo.
RESULTS_GENERATION_MEMO_SECONDS = env.float(
    "RESULTS_GENERATION_MEMO_SECONDS", default=1.0 if REDIS_URL else 0.0
)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="改革创新实践案例评选 <noreply@localhost>")
# Seconds before a silent mail server is given up on (each e-mail is then retried later).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The largest request body accepted: one attachment at its limit (20 MB, the largest upload:
# reform_cases.submission.services.MAX_ATTACHMENT_BYTES) and the form around it. Larger bodies
# get a 413 page before they are read (config.middleware.RequestSizeLimitMiddleware);
# client_max_body_size in deploy/nginx/reform-awards.conf is the same figure.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=21 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 5000

LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Each line names its request (X-Request-ID, common/request_id.py; "-" outside one).
    "formatters": {"console": {"format": LOG_FORMAT}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "console",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # A 403 or 404 is one warning line without a traceback (common/log_filters.py); Django's
    # own console handler on "django" is dropped so that, with DEBUG on, nothing prints twice
    # (records reach the root's handler).
    "filters": {
        "client_errors": {"()": "common.log_filters.ClientErrorsWithoutTraceback"},
        "request_id": {"()": "common.request_id.RequestIdFilter"},
    },
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"filters": ["client_errors"]},
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs each layout step of each PDF at INFO; its warnings still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

SITE_NAME = _("改革创新实践案例评选")
# Absolute links in emails (invitations, password resets).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Personal data (objectors' details, contacts of cases without an award, log-in records and
# download addresses) is erased this many days after a campaign's results are published, or
# after the log-in (reform_cases/publication/retention.py); the privacy page reads it.
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=365)
if PERSONAL_DATA_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("PERSONAL_DATA_RETENTION_DAYS must be at least 1.")
# Committee bundles are rebuilt at will: their files are deleted this many days after they
# are made (and beyond the newest three of a round), so the store and the backups stay small.
COMMITTEE_BUNDLE_KEEP_DAYS = env.int("COMMITTEE_BUNDLE_KEEP_DAYS", default=30)
if COMMITTEE_BUNDLE_KEEP_DAYS < 1:
    raise ImproperlyConfigured("COMMITTEE_BUNDLE_KEEP_DAYS must be at least 1.")
# Where people ask for their data or its correction (shown on /privacy/); empty: the page
# says to write to the organising office.
PRIVACY_CONTACT = env("PRIVACY_CONTACT", default="")
# Client addresses (log-in throttling, objection limits, download log) come from
# common.client_address. TRUSTED_PROXY_COUNT: how many reverse proxies of our own stand in
# front of the application; the client is the Nth X-Forwarded-For entry from the right.
# 0 = clients connect directly: REMOTE_ADDR only, the header ignored. The old switch
# TRUST_X_FORWARDED_FOR=true still means 1 (deprecated). TRUSTED_PROXY_IPS (optional):
# addresses or CIDR networks the nearest proxy connects from; other senders count as direct.
TRUSTED_PROXY_COUNT = env.int(
    "TRUSTED_PROXY_COUNT", default=1 if env.bool("TRUST_X_FORWARDED_FOR", default=False) else 0
)
TRUSTED_PROXY_IPS = env.list("TRUSTED_PROXY_IPS", default=[])
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
for _proxy in TRUSTED_PROXY_IPS:
    try:
        ip_network(_proxy.strip(), strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXY_IPS: {_exc}") from _exc

# Content-Security-Policy (django-csp 4), in every setting: scripts only from our static
# files (no inline <script>, no on…= handlers, no eval; confirmations read data-confirm in
# static/js/confirm.js), nothing framed, forms only posted here. Style sheets only from our
# static files too; the style="" attributes some templates still carry (progress bar widths,
# pre-line text) are allowed by style-src-attr until they become classes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
