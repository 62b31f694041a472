"""common/redis_cache.py: Django's Redis cache with one client per connection pool."""

import os

import pytest

from common.redis_cache import RedisCache


def test_one_client_is_kept_per_pool_instead_of_one_per_call():
    backend = RedisCache("redis://127.0.0.1:1/0", {})  # no connection is opened here
    client = backend._cache.get_client()
    assert backend._cache.get_client("key") is client
    assert backend._cache.get_client("key", write=True) is client  # one server: one pool
    assert client.connection_pool is backend._cache._get_connection_pool(False)


def test_reading_and_writing_through_the_kept_client():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set: no Redis to talk to")
    backend = RedisCache(url, {"KEY_PREFIX": "test-redis-cache"})
    backend.set("k", {"rubric": [1, 2]}, timeout=30)
    assert backend.get_many(["k", "missing"]) == {"k": {"rubric": [1, 2]}}
    assert backend.add("k", 3) is False
    backend.delete("k")
    assert backend.get("k") is None
