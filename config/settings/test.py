from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# No console output in tests, but 403/404 records shaped as in every setting (no traceback).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": LOGGING["filters"],  # noqa: F405
    "loggers": {"django.request": LOGGING["loggers"]["django.request"]},  # noqa: F405
}
RESULTS_GENERATION_MEMO_SECONDS = 0  # tests look right after a change
