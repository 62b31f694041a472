"""The site's URLs plus /bench/trivial/: the same middleware, no work (bench/http_load.py)."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_patterns


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial), *site_patterns]
