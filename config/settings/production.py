"""Production: every secret from the environment, HTTPS behind a proxy."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import env
from config.settings.storage import default_storage

DEBUG = False
DEMO_DATA_ALLOWED = False
OTP_REQUIRED_FOR_STAFF = True  # not read from the environment: staff always use a second factor
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY.startswith("embedded-default"):
    raise ImproperlyConfigured("SECRET_KEY must be set for production.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# Links read outside the site (invitations, password resets, "打开" in e-mails, exports) are
# built from SITE_URL: the embedded default would send people to 127.0.0.1.
SITE_URL = env("SITE_URL", default="")
if not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "SITE_URL must be set for production, e.g. https://awards.example.org"
    )

# TLS ends at the reverse proxy, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production runs behind one nginx (deploy/nginx/): the client is the last X-Forwarded-For
# entry, which nginx appends. Otherwise every client would share nginx's address in the
# login throttle and the objection limit. Set 0 for a direct connection, 2 for two proxies.
TRUSTED_PROXY_COUNT = env.int(
    "TRUSTED_PROXY_COUNT",
    default=1 if TRUSTED_PROXY_COUNT == 0 else TRUSTED_PROXY_COUNT,  # noqa: F405
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer probes each node over plain HTTP (common/health.py answers it before the
# redirect anyway; this keeps it so should the middleware order change).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

STORAGES = {
    "default": default_storage(env),  # as in base: MEDIA_ROOT, or the store of STORAGE_BUCKET
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
