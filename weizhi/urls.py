from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve as serve_static
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from weizhi.content import reader
from weizhi.core import views as core_views
from weizhi.core.admin_login import LimitedLoginView
from weizhi.wechat.callback import views as wechat_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    # Browsers and WeChat ask the root for these, whatever the page's <link> says.
    path("favicon.ico", core_views.site_icon, {"name": "favicon.ico"}),
    path("apple-touch-icon.png", core_views.site_icon, {"name": "apple-touch-icon.png"}),
    path("metrics", core_views.metrics, name="metrics"),
    re_path(r"^MP_verify_(?P<code>[A-Za-z0-9]{1,64})\.txt$", wechat_views.verify_file),
    # Before Wagtail's own: its sign-in, under the sign-in limit.
    path("admin/login/", LimitedLoginView.as_view(), name="wagtailadmin_login"),
    path("admin/", include(wagtailadmin_urls)),
    # Django's admin signs in through the same limited form.
    path(
        "django-admin/login/",
        RedirectView.as_view(pattern_name="wagtailadmin_login", query_string=True),
    ),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", reader.search, name="search"),
    path("tags/<path:name>/", reader.tag, name="tag"),
    path("api/pages/<int:page_id>/like", reader.like, name="page-like"),
    path("api/pages/<int:page_id>/stats", reader.stats, name="page-stats"),
    path("api/pages/<str:page_id>/share", reader.share, name="page-share"),
    path("me/inbox/", include("weizhi.inbox.urls")),
    path("me/", include("weizhi.audience.urls")),
    path("wechat/fake-api/", include("weizhi.wechat.fake.urls")),
    path("wechat/oauth/", include("weizhi.wechat.signin.urls")),
    path("voices/", include("weizhi.voices.urls")),
    path("s/", include("weizhi.surveys.urls")),
    path("quiz/", include("weizhi.quiz.urls")),
    path("points/", include("weizhi.points.urls")),
    path("notes/", include("weizhi.notes.urls")),
    path("wechat/", include("weizhi.wechat.urls")),
    path("weather/", include("weizhi.weather.urls")),
    path("news/", include("weizhi.news.urls")),
    path("readaloud/", include("weizhi.readaloud.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve_static, {"document_root": settings.MEDIA_ROOT}),
    ]

urlpatterns += [path("", include(wagtail_urls))]

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
