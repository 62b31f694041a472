"""The Celery broker URL, checked when the settings load.

A typo in REDIS_URL or CELERY_BROKER_URL used to count as "no Redis": tasks ran
eagerly inside web requests and nobody noticed. A URL that is set must now be
well formed — a scheme this project runs with and, for Redis, a host — or the
process refuses to start with ImproperlyConfigured. A well-formed URL whose server
is down is not an error here: rows stay pending and are resent later.
"""

from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

REDIS_SCHEMES = ("redis", "rediss")  # a Redis server; rediss: over TLS
IN_PROCESS_SCHEMES = ("memory",)  # no broker: tasks run in process (the embedded default)
EXPECTED = "redis://HOST:PORT/DB, rediss://HOST:PORT/DB or memory://"


def _shown(url: str) -> str:
    """The URL without its password, for an error message."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
    except ValueError:
        return "<unparsable URL>"


def check_url(url: str, variable: str, schemes=REDIS_SCHEMES + IN_PROCESS_SCHEMES) -> str:
    """`url` if it is well formed, else ImproperlyConfigured naming `variable`."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{variable} is not a valid URL ({exc}): {_shown(url)!r}; expected {EXPECTED}."
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(
            f"{variable} must start with {allowed}; got {_shown(url)!r}. Expected {EXPECTED}."
        )
    if scheme in REDIS_SCHEMES:
        if not parts.hostname:
            raise ImproperlyConfigured(
                f"{variable} names no host: {_shown(url)!r}; expected {EXPECTED}."
            )
        database = parts.path.strip("/")
        if database and not database.isdigit():
            raise ImproperlyConfigured(
                f"{variable}: the Redis database must be a number, got {database!r} "
                f"in {_shown(url)!r}."
            )
    return url


def broker_url(env) -> str:
    """CELERY_BROKER_URL if set, else REDIS_URL if set, else memory:// — each checked."""
    redis_url = env("REDIS_URL", default="").strip()
    if redis_url:
        check_url(redis_url, "REDIS_URL", schemes=REDIS_SCHEMES)  # also the cache's URL
    explicit = env("CELERY_BROKER_URL", default="").strip()
    if explicit:
        return check_url(explicit, "CELERY_BROKER_URL")
    return redis_url or "memory://"
