"""Serving public pages from the results cache.

Anonymous visitors get the whole page from the cache without touching the
database. Signed-in users get the cached content inside a page rendered for
them (their name, the log-out form with its CSRF token).
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from . import public_cache


def _anonymous_cacheable(request) -> bool:
    # A pending flash message is shown once, so such a page is not shared.
    return not request.user.is_authenticated and "messages" not in request.COOKIES


def cached_page(request, name: str, build, *, query: str = "") -> HttpResponse:
    """Serve page `name`; `build()` returns (template, context) for its body.

    `build` may raise Http404; nothing is cached then.
    """
    language = get_language()
    anonymous = _anonymous_cacheable(request)
    full_key = public_cache.page_key(f"{name}:full", language, query)
    if anonymous:
        html = public_cache.get_page(full_key)
        if html is not None:
            return HttpResponse(html)
    body_key = public_cache.page_key(f"{name}:body", language, query)
    cached = public_cache.get_page(body_key)
    if cached is None:
        template, context = build()
        cached = {
            "body": render_to_string(template, context),
            "title": str(context.get("page_title", "")),
        }
        public_cache.set_page(body_key, cached)
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
        public_cache.set_page(full_key, html)
    return HttpResponse(html)
