from django.urls import reverse_lazy
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from weizhi.core.adminmenu import PermissionMenuItem
from weizhi.news.models import Feed


class FeedViewSet(ModelViewSet):
    name = "news_feed"
    model = Feed
    icon = "link"
    menu_label = "资讯来源"
    menu_order = 20
    form_fields = ["name", "url", "active"]
    list_display = [
        "name",
        "url",
        BooleanColumn("active", label="启用", sort_key="active"),
        Column("checked_at", label="上次抓取", sort_key="checked_at"),
        Column("last_result", label="抓取结果"),
    ]
    search_fields = ["name", "url"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = False


class NewsGroup(ViewSetGroup):
    menu_label = "党建资讯"
    menu_icon = "doc-full"
    menu_order = 260
    items = (FeedViewSet,)

    def get_submenu_items(self) -> list[AdminMenuItem]:
        items = PermissionMenuItem(
            "资讯转载",
            reverse_lazy("news_items"),
            icon_name="doc-full",
            order=10,
            permission="news.view_feeditem",
        )
        return [items, *super().get_submenu_items()]
