from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers


class CookieLocaleMiddleware:
    """Chinese unless the visitor explicitly chose another language.

    Django's LocaleMiddleware would follow Accept-Language; our users' browsers
    are often set to English while they expect the Chinese interface, so only
    the language cookie written by `set_language` counts.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class RequestSizeLimitMiddleware:
    """A request whose body is declared larger than MAX_REQUEST_BYTES gets a 413 page.

    Decided from Content-Length before anything reads the body, so none of it is parsed
    or stored. The reverse proxy refuses the same size first (client_max_body_size in
    deploy/nginx/reform-awards.conf); this is the limit without it, and the page says
    in the user's language what happened. A missing or malformed Content-Length is left
    to Django, which then reads no body at all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = settings.MAX_REQUEST_BYTES
        if declared > limit:
            return render(request, "413.html", {"limit_bytes": limit}, status=413)
        return self.get_response(request)
