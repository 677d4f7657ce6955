"""The production entry point: granian's RSGI interface in front of the WSGI application.

Request bodies are read on granian's event loop before a thread is taken (see
``weizhi.core.bodyfirst``), so clients that stall mid-body cannot hold the web threads.
"""

from django.conf import settings

from weizhi.core.bodyfirst import BodyFirstApp
from weizhi.env import envint
from weizhi.wsgi import application as wsgi_application

application = BodyFirstApp(
    wsgi_application,
    threads=envint("WEB_THREADS", 4, minimum=1),
    body_idle_seconds=settings.REQUEST_BODY_IDLE_SECONDS,
    max_body_bytes=settings.REQUEST_BODY_MAX_MB * 1024 * 1024,
)
