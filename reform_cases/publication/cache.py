"""Cache of the public results pages, and serving pages from it.

Published results change only through services (publication, corrections,
imports), so their pages are cached until one of those services bumps the
generation number. Bumping one key invalidates every cached page at once on
any cache backend (local memory has no key patterns to delete).

With a shared cache (Redis) each worker also keeps what it served in its own
memory, and reads the generation from Redis at most once a second: a page then
costs no network round trip, and a change is seen everywhere within a second
(at once in the process that made it).

`cached_page` serves a page from it: anonymous visitors get the whole page
without touching the database; signed-in users get the cached content inside a
page rendered for them (their name, the log-out form with its CSRF token).
"""

import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

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


def _anonymous_cacheable(request) -> bool:
    # A pending flash message is shown once, so such a page is not shared.
    return not request.user.is_authenticated and "messages" not in request.COOKIES


def cached_page(request, name: str, build, *, query: str = "", shared: bool = True) -> HttpResponse:
    """Serve page `name`; `build()` returns (template, context) for its body.

    `build` may raise (Http404, an invalid filter); nothing is cached then. `query` is part
    of the cache key: only canonical, validated queries may reach it. `shared=False`: the
    page carries a message for this request only, so the whole page is neither taken
    from the cache nor stored there (its body still is).
    """
    language = get_language()
    anonymous = shared and _anonymous_cacheable(request)
    full_key = page_key(f"{name}:full", language, query)
    if anonymous:
        html = get_page(full_key)
        if html is not None:
            return HttpResponse(html)
    body_key = page_key(f"{name}:body", language, query)
    cached = get_page(body_key)
    if cached is None:
        template, context = build()
        cached = {
            "body": render_to_string(template, context),
            "title": str(context.get("page_title", "")),
        }
        set_page(body_key, cached)
    html = render_to_string(
        "public/page.html",
        {
            "body": mark_safe(cached["body"]),
            "page_title": cached["title"],
            # The page may be served to everyone: only its canonical address goes in it.
            "language_next": request.path + (f"?{query}" if query else ""),
        },
        request=request,
    )
    if anonymous:
        set_page(full_key, html)
    return HttpResponse(html)
