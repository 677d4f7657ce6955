import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhi.settings")

django_application = get_wsgi_application()

# Cached reader pages are answered (and counted) before Django builds a request, and so are
# the messages WeChat POSTs to the callback.
from weizhi.content.pagecache import CachedPageApp  # noqa: E402
from weizhi.wechat.callback.fastpath import CallbackApp  # noqa: E402

application = CallbackApp(CachedPageApp(django_application))

# Last: everything built while starting stays out of the collector's full walks.
from weizhi.core.heapfreeze import freeze_startup_heap  # noqa: E402

freeze_startup_heap()
