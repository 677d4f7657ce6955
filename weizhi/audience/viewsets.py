"""Admin screens for the organisation tree and the roster, scoped to what the user may see.

The scope is applied to the querysets of every view (list, export, edit, inspect, delete,
history, usage), so a 支部书记 who types another branch's URL gets a 404, not the page.
"""

from __future__ import annotations

import django_filters
from django.db.models import F, Func, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from weizhi.core.adminmenu import PermissionMenuItem
from weizhi.core.readonly import ReadOnlyPermissionPolicy

from . import services
from .models import AuditEntry, Branch, Follower, Member, PoliticalStatus, RoleTag
from .roster_import import export_rows
from .scope import may_reset_passwords, sees_full_phone, visible, visible_branches


class ScopedObjectMixin:
    """Refuses (404) any object outside the user's scope, however its URL was reached."""

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not self.scope(self.request.user).filter(pk=obj.pk).exists():
            raise Http404
        return obj

    def scope(self, user):
        return visible(user, self.model)


class ScopedIndexView(generic.IndexView):
    def get_base_queryset(self):
        return visible(self.request.user, self.model, super().get_base_queryset())


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    pass


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    pass


class ScopedHistoryView(ScopedObjectMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, usage.UsageView):
    pass


class ScopedViewSet(ModelViewSet):
    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    copy_view_enabled = False
    inspect_view_enabled = True


# Branches ---------------------------------------------------------------------------------


def _active_members(**lookup) -> Coalesce:
    """The number of 在册 members matching ``lookup``, as a subquery of the branch list: one
    query for the whole page, however many branches it shows."""
    members = (
        Member.objects.active()
        .filter(**lookup)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Coalesce(Subquery(members[:1]), 0)


class BranchIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .annotate(
                member_count=_active_members(branch=OuterRef("pk")),
                subtree_count=_active_members(branch__path__startswith=OuterRef("path")),
            )
        )


class BranchViewSet(ScopedViewSet):
    name = "audience_branch"
    model = Branch
    index_view_class = BranchIndexView
    icon = "folder-open-inverse"
    menu_label = "党组织"
    add_to_admin_menu = False
    list_display = [
        "indented_name",
        "kind",
        Column("member_count", label="直属人数"),
        Column("subtree_count", label="合计"),
    ]
    list_filter = ["kind"]
    search_fields = ["name"]
    search_backend_name = None
    ordering = ["path"]
    list_per_page = 100
    form_fields = ["name", "kind", "parent", "sort_order", "secretaries", "committee_members"]
    inspect_view_fields = [
        "name",
        "kind",
        "parent",
        "sort_order",
        "secretaries",
        "committee_members",
    ]


# Members ----------------------------------------------------------------------------------


class MemberFilterSet(WagtailFilterSet):
    branch = django_filters.ModelChoiceFilter(
        label="所属组织（含下级）", queryset=Branch.objects.all(), method="in_subtree"
    )
    status = django_filters.ChoiceFilter(label="政治面貌", choices=PoliticalStatus.choices)
    role_tags = django_filters.ModelChoiceFilter(label="角色标签", queryset=RoleTag.objects.all())
    active = django_filters.BooleanFilter(label="在册")

    class Meta:
        model = Member
        fields = ["branch", "status", "role_tags", "active"]

    def __init__(self, *args, request=None, **kwargs) -> None:
        super().__init__(*args, request=request, **kwargs)
        if request is not None:
            self.filters["branch"].queryset = visible_branches(request.user)

    def in_subtree(self, queryset, name, value):
        return queryset.filter(branch__path__startswith=value.path) if value else queryset


class MemberIndexView(ScopedIndexView):
    FORMATS = ("xlsx",)

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("branch")

    @property
    def columns(self):
        columns = super().columns
        if sees_full_phone(self.request.user):
            return columns
        masked = Column("masked_phone", label="手机号")
        return [masked if getattr(c, "name", "") == "phone" else c for c in columns]

    def get_list_more_buttons(self, instance: Member) -> list:
        buttons = super().get_list_more_buttons(instance)
        if may_reset_passwords(self.request.user):
            url = reverse("audience_member_password", args=[instance.pk])
            buttons.append(MenuItem("重置登录密码", url=url, icon_name="key", priority=40))
        return buttons

    def as_spreadsheet(self, queryset, spreadsheet_format) -> HttpResponse:
        queryset = queryset.select_related("branch").prefetch_related("role_tags")
        filters = {k: v for k, v in self.request.GET.items() if k != "export" and v}
        services.log_export(self.request.user, filters, queryset.count())
        body = export_rows(queryset, full_phone=sees_full_phone(self.request.user))
        response = HttpResponse(
            body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="roster-{stamp}.xlsx"'
        return response


class MemberForm(WagtailAdminModelForm):
    """Saving through the roster services, so that a change of branch is kept in the
    member's history and a change of status or tags reaches WeChat."""

    def save(self, commit: bool = True) -> Member:
        is_new = self.instance.pk is None
        branch = self.cleaned_data["branch"]
        if not is_new:
            self.instance.branch = Member.objects.get(pk=self.instance.pk).branch
        member = super().save(commit=commit)
        if is_new:
            services.enroll_member(member, by=self.for_user)
        elif branch != member.branch:
            services.move_member(member, branch, by=self.for_user)
        services.roster_changed(member)
        return member

    def clean_phone(self) -> str:
        return services.clean_phone(self.cleaned_data.get("phone", ""))


class MemberViewSet(ScopedViewSet):
    name = "audience_member"
    model = Member
    index_view_class = MemberIndexView
    icon = "group"
    menu_label = "党员名册"
    list_display = [
        "name",
        "employee_number",
        "branch",
        "status",
        "phone",
        "department",
        BooleanColumn("active", label="在册", sort_key="active"),
    ]
    filterset_class = MemberFilterSet
    search_fields = ["name", "employee_number", "department"]
    search_backend_name = None
    list_export = ["name"]  # shows the export button; MemberIndexView writes the columns
    list_per_page = 50
    edit_handler = ObjectList(
        [
            FieldPanel(name)
            for name in (
                "name",
                "employee_number",
                "phone",
                "department",
                "branch",
                "status",
                "role_tags",
                "joined_on",
                "active",
                "left_on",
                "user",
            )
        ],
        base_form_class=MemberForm,
    )
    inspect_view_fields = [
        "name",
        "employee_number",
        "department",
        "branch",
        "status",
        "role_tags",
        "joined_on",
        "active",
        "left_on",
    ]


class RoleTagViewSet(ModelViewSet):
    name = "audience_roletag"
    model = RoleTag
    icon = "tag"
    menu_label = "角色标签"
    form_fields = ["name"]
    list_display = ["name"]


class FollowerViewSet(ScopedViewSet):
    name = "audience_follower"
    model = Follower
    icon = "user"
    menu_label = "粉丝"
    list_display = [
        "__str__",
        "member",
        BooleanColumn("subscribed", label="已关注", sort_key="subscribed"),
        "subscribed_at",
    ]
    list_filter = ["subscribed", "simulated"]
    search_fields = ["openid", "remark", "member__name"]
    search_backend_name = None
    # A panel heading: the field has no verbose_name and would show as "Tags".
    panels = [FieldPanel("remark"), FieldPanel("tags", heading="标签")]
    copy_view_enabled = False


class AuditEntryViewSet(ScopedViewSet):
    """Read-only for everyone, superusers included; the database refuses changes too."""

    name = "audience_audit"
    model = AuditEntry
    permission_policy = ReadOnlyPermissionPolicy(AuditEntry)
    icon = "history"
    menu_label = "审计记录"
    list_display = ["at", "action", "user", "by_member", "member", "follower", "detail"]
    list_filter = ["action"]
    form_fields = []
    inspect_view_enabled = True
    copy_view_enabled = False


class AudienceGroup(ViewSetGroup):
    menu_label = "组织与党员"
    menu_icon = "group"
    menu_order = 250
    items = (MemberViewSet, BranchViewSet, RoleTagViewSet, FollowerViewSet, AuditEntryViewSet)

    def get_submenu_items(self) -> list[AdminMenuItem]:
        # The import and the binding requests belong with the roster, not at the top level.
        extra = [
            PermissionMenuItem(
                "导入名册",
                reverse_lazy("audience_import"),
                icon_name="upload",
                order=90,
                permission="audience.import_member",
            ),
            PermissionMenuItem(
                "绑定申请",
                reverse_lazy("audience_binding_requests"),
                icon_name="link",
                order=91,
                permission="audience.change_bindingrequest",
            ),
        ]
        return [*super().get_submenu_items(), *extra]
