"""Django's Redis cache, holding its client instead of building one per call.

Django's RedisCacheClient makes a new redis.Redis for every operation, and that constructor
fills a table of some 170 response callbacks each time: measured at about 40% of a WeChat
callback in scaled mode, which reads three generations per message. redis.Redis is safe to
share between threads (it takes a connection from the pool for each command).
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class HeldClientRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        held = self.__dict__.setdefault("_held_clients", {})
        client = held.get(id(pool))
        if client is None:
            client = held[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = HeldClientRedisCacheClient
