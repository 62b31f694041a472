"""Filter values of the results page: only known ids become cached pages; junk gets the whole
list with a notice and leaves the cache as it was."""

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Organisation
from reform_cases.models import Field
from reform_cases.publication import cache as results_cache
from tests.helpers import city, field, reference_rows

pytestmark = pytest.mark.django_db

URL = "/results/2020/"
NOTICE = "筛选条件无效,已显示全部。"


@pytest.fixture
def stored_keys(monkeypatch):
    """Every key the results cache stores from now on."""
    keys = []
    original = results_cache.set_page

    def spy(key, value):
        keys.append(key)
        original(key, value)

    monkeypatch.setattr(results_cache, "set_page", spy)
    return keys


def results_cache_entries() -> int:
    """The results cache's entries in the cache itself (local memory or Redis)."""
    prefix = cache.make_key("public-results:")
    backend = cache._cache
    if isinstance(backend, dict):  # local memory
        keys = list(backend)
    else:  # Redis
        keys = [k.decode() for k in backend.get_client(None).keys(f"{prefix}*")]
    return sum(1 for k in keys if k.startswith(prefix))


def titles_in(html):
    return {r["title"] for r in reference_rows() if r["title"] in html}


def junk_queries(n):
    """`n` distinct filter queries none of which is a region or field one may filter by."""
    unknown = max(Organisation.objects.latest("pk").pk, Field.objects.latest("pk").pk) + 1000
    known = city("温州市").pk
    makers = [
        lambda i: {"region": f"abc{i}"},
        lambda i: {"field": f"-{i + 1}"},
        lambda i: {"region": str(10**12 + i)},
        lambda i: {"region": str(unknown + i)},
        lambda i: {"field": str(unknown + i)},
        lambda i: {"region": [str(known), str(i)]},  # the parameter repeated
        lambda i: {"region": str(known), "field": f"{i}.5"},
        lambda i: {"field": f" {i}"},
        lambda i: {"region": f"{i}\u0661"},  # a non-ASCII digit
        lambda i: {"region": str(known), "field": f"x{i}", "utm": str(i)},
    ]
    return [makers[i % len(makers)](i) for i in range(n)]


def test_a_thousand_junk_filter_values_create_no_cache_entry(published_fixtures, stored_keys):
    assert len(titles_in(Client().get(URL).content.decode())) == 12  # the whole list, cached
    stored_before, size_before = list(stored_keys), results_cache_entries()
    queries = junk_queries(1000)
    assert len({repr(q) for q in queries}) == 1000

    client = Client()
    for query in queries:
        r = client.get(URL, data=query)
        assert r.status_code == 200, query
        assert NOTICE in r.content.decode(), query

    assert stored_keys == stored_before
    assert results_cache_entries() == size_before >= 2  # the whole list's body and page


@pytest.mark.parametrize(
    "query",
    [
        {"region": "abc"},
        {"region": "-1"},
        {"region": "9" * 30},
        {"field": "99999"},
        {"region": ["1", "1"]},
        {"region": "1e3"},
        {"field": "0x10"},
    ],
)
def test_junk_gets_the_whole_list_with_a_notice(published_fixtures, query):
    html = Client().get(URL, data=query).content.decode()
    assert NOTICE in html
    assert len(titles_in(html)) == 12
    assert "清除筛选" not in html  # not a filtered page


def test_the_notice_is_not_served_to_the_next_visitor(published_fixtures):
    Client().get(URL)
    assert NOTICE in Client().get(URL, data={"region": "abc"}).content.decode()
    assert NOTICE in Client().get(URL, data={"field": "99999"}).content.decode()
    assert NOTICE not in Client().get(URL).content.decode()


def test_junk_costs_no_query_once_the_whole_list_is_cached(
    published_fixtures, django_assert_num_queries, django_assert_max_num_queries
):
    Client().get(URL)
    with django_assert_num_queries(0):
        Client().get(URL, data={"region": "abc"})
    # An id that may exist is looked up once (the campaign and the two filters).
    with django_assert_max_num_queries(3):
        Client().get(URL, data={"region": "99999"})


def test_known_values_are_filtered_and_cached(
    published_fixtures, stored_keys, django_assert_num_queries
):
    wenzhou, data = city("温州市").pk, field("党建纪检").pk

    html = Client().get(URL, data={"region": wenzhou}).content.decode()
    assert titles_in(html) == {"温州市为侨服务“全球通”平台"}
    assert NOTICE not in html
    assert any(key.endswith(f":region={wenzhou}") for key in stored_keys)
    with django_assert_num_queries(0):
        again = Client().get(URL, data={"region": wenzhou}).content.decode()
    assert again == html

    both = Client().get(URL, data={"field": data, "region": wenzhou})
    assert both.status_code == 200 and NOTICE not in both.content.decode()
    assert any(key.endswith(f":region={wenzhou}&field={data}") for key in stored_keys)


def test_an_id_written_with_leading_zeros_shares_the_plain_ids_page(
    published_fixtures, stored_keys
):
    wenzhou = city("温州市").pk
    Client().get(URL, data={"region": wenzhou})
    stored = list(stored_keys)
    html = Client().get(URL, data={"region": f"000{wenzhou}"}).content.decode()
    assert titles_in(html) == {"温州市为侨服务“全球通”平台"}
    assert stored_keys == stored


def test_an_empty_filter_is_the_whole_list_not_junk(published_fixtures):
    html = Client().get(URL, data={"region": "", "field": ""}).content.decode()
    assert NOTICE not in html
    assert len(titles_in(html)) == 12
