"""Admin screens for points: the rules, and the ledger (read-only, scoped to the user)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from weizhi.audience.models import Member
from weizhi.audience.scope import sees_everything, visible_members
from weizhi.core.readonly import ReadOnlyPermissionPolicy

from .models import Entry, Rule


def office_wide(user) -> bool:
    """编辑 and 管理员 (who may deduct) look after points across the organisation; everyone
    else sees points through the roster's scope (a 支部书记: their subtree)."""
    return sees_everything(user) or user.has_perm("points.deduct_points")


def scoped_members(user):
    return Member.objects.all() if office_wide(user) else visible_members(user)


def visible_entries(user):
    """Entries of members the user may see; those of unbound followers for the office only."""
    entries = Entry.objects.all()
    if office_wide(user):
        return entries
    return entries.filter(Q(member__in=visible_members(user)))


class EntryIndexView(generic.IndexView):
    def get_base_queryset(self):
        return visible_entries(self.request.user).select_related("member", "follower", "by")


class EntryInspectView(generic.InspectView):
    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not visible_entries(self.request.user).filter(pk=obj.pk).exists():
            raise Http404
        return obj


class RuleViewSet(ModelViewSet):
    name = "points_rule"
    model = Rule
    icon = "cogs"
    menu_label = "积分规则"
    list_display = [
        "name",
        "action",
        "points",
        "daily_cap",
        "min_seconds",
        BooleanColumn("enabled", label="启用", sort_key="enabled"),
    ]
    search_backend_name = None
    copy_view_enabled = False
    form_fields = ["name", "action", "points", "daily_cap", "min_seconds", "enabled", "note"]


class EntryViewSet(ModelViewSet):
    """The ledger: written only by points.services, read here."""

    name = "points_entry"
    model = Entry
    icon = "list-ol"
    menu_label = "积分记录"
    index_view_class = EntryIndexView
    inspect_view_class = EntryInspectView
    permission_policy = ReadOnlyPermissionPolicy(Entry)
    list_display = ["member", "follower", "action", "points", "reason", "by", "at"]
    list_filter = ["action", "day"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields = []


class PointsGroup(ViewSetGroup):
    menu_label = "积分"
    menu_icon = "pick"
    menu_order = 270
    items = (RuleViewSet, EntryViewSet)
