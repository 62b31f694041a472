import os

from celery import Celery

from common.request_id import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A task enqueued during a request logs that request's id in the worker.
connect_celery_signals()
