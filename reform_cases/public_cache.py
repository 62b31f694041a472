"""Cache of the public results pages.

Published results change only through services (publication, corrections,
imports), so their pages are cached until one of those services bumps the
generation number. Bumping one key invalidates every cached page at once on
any cache backend (local memory has no key patterns to delete).

With a shared cache (Redis) each worker also keeps what it served in its own
memory, and reads the generation from Redis at most once a second: a page then
costs no network round trip, and a change is seen everywhere within a second
(at once in the process that made it).
"""

import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache

GENERATION_KEY = "public-results:generation"
LOCAL_PAGES = 512  # pages kept per process

_memo = {"generation": None, "until": 0.0}
_local: OrderedDict = OrderedDict()


def _memo_seconds() -> float:
    return float(getattr(settings, "RESULTS_GENERATION_MEMO_SECONDS", 0))


def generation() -> int:
    now = time.monotonic()
    if _memo["generation"] is not None and now < _memo["until"]:
        return _memo["generation"]
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    _memo["generation"], _memo["until"] = value, now + _memo_seconds()
    return value


def invalidate_public_results() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)
    _memo["generation"] = None
    _local.clear()


def page_key(name: str, language: str, query: str = "") -> str:
    return f"public-results:{generation()}:{language}:{name}:{query}"


def get_page(key: str):
    if _memo_seconds() and key in _local:
        _local.move_to_end(key)
        return _local[key]
    value = cache.get(key)
    if value is not None and _memo_seconds():
        _remember(key, value)
    return value


def set_page(key: str, value) -> None:
    cache.set(key, value, timeout=settings.RESULTS_CACHE_SECONDS)
    if _memo_seconds():
        _remember(key, value)


def _remember(key, value) -> None:
    _local[key] = value
    _local.move_to_end(key)
    while len(_local) > LOCAL_PAGES:
        _local.popitem(last=False)
