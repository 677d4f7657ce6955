"""Wagtail's user and group admin, held to the rule in privileges.py.

Every way in is covered: the user forms (create, edit, copy) offer only grantable groups and
superuser status to superusers alone; edit, delete and the bulk actions refuse users beyond
the actor's own rights; the group forms refuse a group, or a set of page and collection
permissions, that the actor could not grant.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from wagtail.admin.forms.account import NameEmailForm
from wagtail.admin.views import generic
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views import groups, users
from wagtail.users.views.bulk_actions import (
    AssignRoleBulkAction,
    DeleteBulkAction,
    SetActiveStateBulkAction,
)

from . import privileges
from .privileges import Grants

BEYOND_OWN = (
    "只能授予您自己拥有的权限；超级管理员身份、管理员与系统管理员等角色只能由超级管理员授予。"
)


class ChineseNameForm:
    """姓名 as one field, in the order it is written, and e-mail optional: the whole name is
    kept in first_name (as ensure_admin does), so Django's get_full_name() gives it back
    unchanged; a name once split in two is joined 姓 first when the user is next edited."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        name = self.fields["first_name"]
        name.label, name.help_text = "姓名", "如：张三"
        self.fields.pop("last_name", None)
        email = self.fields.get("email")  # the account form has none without e-mail management
        if email is not None:
            email.required, email.label = False, "电子邮箱（选填）"
            email.help_text = "用于接收审核通知和找回密码；没有可不填。"
        if self.instance.pk and self.instance.last_name:
            self.initial["first_name"] = self.instance.last_name + self.instance.first_name

    def save(self, commit: bool = True):
        self.instance.last_name = ""
        return super().save(commit=commit)


class ChineseNameEmailForm(ChineseNameForm, NameEmailForm):
    """The same 姓名 and optional e-mail in 账号设置 (a user's own account)."""


def name_in_chinese_order() -> None:
    """Wagtail's account settings offer no way to choose the name form: set it once, at
    start-up (UsersConfig.ready)."""
    from wagtail.admin.views.account import NameEmailSettingsPanel

    NameEmailSettingsPanel.form_class = ChineseNameEmailForm


class GrantCheckedUserForm(ChineseNameForm):
    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not actor.is_superuser:
            self.fields.pop("is_superuser", None)
        if "groups" in self.fields:
            allowed = [g.pk for g in privileges.grantable_groups(actor)]
            self.fields["groups"].queryset = Group.objects.filter(pk__in=allowed)


class StaffUserCreationForm(GrantCheckedUserForm, UserCreationForm):
    pass


class StaffUserEditForm(GrantCheckedUserForm, UserEditForm):
    pass


class ManagedUserMixin:
    def get_object(self, queryset=None):
        target = super().get_object(queryset)
        if not privileges.may_manage_user(self.request.user, target):
            raise PermissionDenied
        return target


class ActorFormMixin:
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}


class UserCreateView(ActorFormMixin, users.CreateView):
    pass


class UserCopyView(ActorFormMixin, generic.CopyView):
    pass


class UserEditView(ManagedUserMixin, ActorFormMixin, users.EditView):
    pass


class UserDeleteView(ManagedUserMixin, users.DeleteView):
    pass


class UserViewSet(users.UserViewSet):
    add_view_class = UserCreateView
    copy_view_class = UserCopyView
    edit_view_class = UserEditView
    delete_view_class = UserDeleteView
    # Wagtail's templates place 名 before 姓; ours show the one 姓名 field (ChineseNameForm).
    create_template_name = "core/users/create.html"
    edit_template_name = "core/users/edit.html"

    def get_form_class(self, for_update: bool = False):
        return StaffUserEditForm if for_update else StaffUserCreationForm


# Groups -----------------------------------------------------------------------------------


def panel_grants(panels) -> Grants | None:
    """The page and collection permissions the bound permission panels would give; None
    for a changed panel of a kind we cannot read, which only a superuser may save."""
    pages, collections = set(), set()
    for panel in panels:
        if not hasattr(panel, "forms"):
            if panel.has_changed():
                return None
            continue
        for form in panel.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if form in panel.deleted_forms or not data:
                continue
            node, bucket = (
                (data["page"], pages) if "page" in data else (data.get("collection"), collections)
            )
            if node is None:
                return None
            bucket.update((node.path, privileges.perm_name(p)) for p in data["permissions"])
    return Grants(pages=frozenset(pages), collections=frozenset(collections))


class ManagedGroupMixin:
    def get_object(self, queryset=None):
        group = super().get_object(queryset)
        if not privileges.may_manage_group(self.request.user, group):
            raise PermissionDenied
        return group


class GrantCheckedGroupMixin:
    def is_valid(self, form) -> bool:
        if not super().is_valid(form):
            return False
        from_panels = panel_grants(self.permission_panel_forms)
        perms = frozenset(privileges.perm_name(p) for p in form.cleaned_data["permissions"])
        if from_panels is not None and privileges.may_confer(
            self.request.user, from_panels | Grants(perms=perms)
        ):
            return True
        form.add_error(None, BEYOND_OWN)
        self.produced_error_message = BEYOND_OWN
        return False


class GroupCreateView(GrantCheckedGroupMixin, groups.CreateView):
    pass


class GroupEditView(ManagedGroupMixin, GrantCheckedGroupMixin, groups.EditView):
    pass


class GroupDeleteView(ManagedGroupMixin, groups.DeleteView):
    pass


class GroupViewSet(groups.GroupViewSet):
    add_view_class = GroupCreateView
    edit_view_class = GroupEditView
    delete_view_class = GroupDeleteView


# Bulk actions on users, registered over Wagtail's own (wagtail_hooks.py).


class ManagedBulkMixin:
    def check_perm(self, obj) -> bool:
        return super().check_perm(obj) and privileges.may_manage_user(self.request.user, obj)


class StaffAssignRoleBulkAction(ManagedBulkMixin, AssignRoleBulkAction):
    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        allowed = [g.pk for g in privileges.grantable_groups(self.request.user)]
        form.fields["role"].queryset = Group.objects.filter(pk__in=allowed)
        return form


class StaffDeleteBulkAction(ManagedBulkMixin, DeleteBulkAction):
    pass


class StaffSetActiveStateBulkAction(ManagedBulkMixin, SetActiveStateBulkAction):
    pass


BULK_ACTIONS = (StaffAssignRoleBulkAction, StaffDeleteBulkAction, StaffSetActiveStateBulkAction)
