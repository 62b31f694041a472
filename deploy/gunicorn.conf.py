"""gunicorn settings of a web node: `gunicorn -c deploy/gunicorn.conf.py config.wsgi:application`.

Read by deploy/systemd/reform-awards-web.service and the Procfile; the values an operator
may change come from the environment file (deploy/reform-awards.env.example):

  GUNICORN_BIND                 address:port nginx's upstream names (default 127.0.0.1:8000)
  GUNICORN_WORKERS              worker processes (default 2 × CPUs + 1)
  GUNICORN_TIMEOUT              seconds a request may take before its worker is restarted
                                (default 60, nginx's proxy_read_timeout)
  GUNICORN_FORWARDED_ALLOW_IPS  the address nginx connects from (default 127.0.0.1)

tests/deploy/test_two_nodes.py starts its two nodes with this file.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Sync workers: the application's requests are short, database-bound and buffered by nginx
# (proxy_request_buffering), so a slow client never holds a worker.
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM (systemctl stop, a deployment) a worker finishes the request it is serving; the
# systemd unit waits a little longer (TimeoutStopSec) before it kills what is left.
graceful_timeout = 30
# A worker is replaced after this many requests (and a few more, so they do not all restart
# at once): memory a long-lived process gathers is given back.
max_requests = 2000
max_requests_jitter = 200
# Only nginx may say the request was HTTPS (X-Forwarded-Proto). Django reads it through
# SECURE_PROXY_SSL_HEADER; gunicorn itself believes it only from these addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access and error logs to stderr: journald (systemd) keeps them. Each access line carries
# the request id nginx made (X-Request-ID), the one in nginx's access log and in the
# application's own lines for the same request.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%(h)s xff="%({x-forwarded-for}i)s" rid=%({x-request-id}i)s "%(r)s" %(s)s %(b)s '
    '%(M)sms pid=%(p)s "%(a)s"'
)
