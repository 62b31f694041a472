"""Django's Redis cache, keeping one Redis client per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache call, and
building one costs more CPU than the call itself (it fills a table of response callbacks):
≈ 0.1 ms, four times on every signed-in page (the session, the rubric, the unread count).
The client is a thin, thread-safe handle on the pool, so one per pool is kept; the pool is
Django's own and redis-py re-opens its connections in a forked worker.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
