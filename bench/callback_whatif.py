"""weizhi with the changes this benchmark suggests, applied from outside to measure them
before anyone makes them: `bench/callback.py --what-if`.

1. Keep SQLite connections open across requests (CONN_MAX_AGE=None). Without it every
   request opens a connection, runs the six PRAGMAs of init_command and closes it, and
   closing the last connection to a WAL database checkpoints the WAL. Scaled mode already
   keeps its PostgreSQL connections (conn_max_age=600).
2. Reuse one Redis client per connection pool. Django's RedisCache builds a new
   redis.Redis for every cache call, and redis-py's constructor fills a table of ~170
   response callbacks each time: ~250 us of CPU per call here, three calls per message
   (the account, rules and page-cache generations).
3. Let one thread of a process at a time store a message on SQLite. Threads that meet the
   write lock otherwise wait in SQLite's busy handler, which sleeps 1, 2, 5 … up to 100 ms
   between tries, however soon the lock is free; a Python lock hands it over at once.
"""

import threading

import weizhi.settings as base

SQLITE = base.DATABASES["default"]["ENGINE"].endswith("sqlite3")
if SQLITE:
    base.DATABASES["default"]["CONN_MAX_AGE"] = None

from django.core.cache.backends.redis import RedisCacheClient  # noqa: E402

from weizhi.wsgi import application  # noqa: E402

_new_client = RedisCacheClient.get_client


def _held_client(self, key=None, *, write=False):
    index = self._get_connection_pool_index(write)
    clients = self.__dict__.setdefault("_held_clients", {})
    if index not in clients:
        clients[index] = _new_client(self, key, write=write)
    return clients[index]


RedisCacheClient.get_client = _held_client

if SQLITE:
    from weizhi.wechat.callback import storage as services

    _receive = services.receive
    _one_writer = threading.Lock()

    def _receive_in_turn(request):
        with _one_writer:
            return _receive(request)

    services.receive = _receive_in_turn

__all__ = ["application"]
