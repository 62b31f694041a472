"""Cache of the public results pages.

Published results change only through services (publication, corrections,
imports), so their pages are cached until one of those services bumps the
generation number. Bumping one key invalidates every cached page at once on
any cache backend (local memory has no key patterns to delete).
"""

from django.conf import settings
from django.core.cache import cache

GENERATION_KEY = "public-results:generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    return value


def invalidate_public_results() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)


def page_key(name: str, language: str, query: str = "") -> str:
    return f"public-results:{generation()}:{language}:{name}:{query}"


def get_page(key: str):
    return cache.get(key)


def set_page(key: str, value) -> None:
    cache.set(key, value, timeout=settings.RESULTS_CACHE_SECONDS)
