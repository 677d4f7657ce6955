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
from weizhi.wechat import views as wechat_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
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
    path("api/pages/<int:page_id>/like", reader.like, name="page-like"),
    path("api/pages/<int:page_id>/stats", reader.stats, name="page-stats"),
    path("me/", include("weizhi.audience.urls")),
    path("wechat/fake-api/", include("weizhi.wechat.outbound.fake_urls")),
    path("wechat/oauth/", include("weizhi.wechat.oauth_urls")),
    path("wechat/", include("weizhi.wechat.urls")),
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
