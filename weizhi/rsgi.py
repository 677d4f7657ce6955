"""The production entry point: granian's RSGI interface in front of the WSGI application.

Request bodies are read on granian's event loop before a thread is taken (see
``weizhi.core.bodyfirst``), so clients that stall mid-body cannot hold the web threads.
WeChat's messages are answered from the event loop too, once stored, so a message waiting for
its commit holds no thread (``weizhi.wechat.callback.fastpath``).
"""

from django.conf import settings

from weizhi import wsgi  # first: it sets Django up, which the callback's modules need
from weizhi.core.bodyfirst import BodyFirstApp
from weizhi.core.heapfreeze import freeze_startup_heap
from weizhi.env import envint
from weizhi.wechat.callback.fastpath import CALLBACK_PATH, answer_on_loop

application = BodyFirstApp(
    wsgi.application,
    threads=envint("WEB_THREADS", 4, minimum=1),
    route_threads=envint("CALLBACK_THREADS", 1, minimum=1),
    body_idle_seconds=settings.REQUEST_BODY_IDLE_SECONDS,
    max_body_bytes=settings.REQUEST_BODY_MAX_MB * 1024 * 1024,
    routes={("POST", CALLBACK_PATH): answer_on_loop},
)
# What this module added to the process since weizhi.wsgi froze the rest.
freeze_startup_heap()
