"""Who may hand out which rights: the rule behind the user and group admin.

A right is a model permission, a permission on a page and its subtree, or a permission on a
collection and its subtree. Superuser status and any permission over accounts and groups
(the ``auth`` app) are conferred by superusers only; anyone else may confer only rights they
hold themselves, and so manage only users and groups whose rights lie within their own. A
管理员 therefore manages editors and reviewers, but cannot touch a superuser, another 管理员
or a 系统管理员, nor grant their groups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from wagtail.models import GroupCollectionPermission, GroupPagePermission

ACCOUNT_APPS = ("auth",)


@dataclass(frozen=True)
class Grants:
    superuser: bool = False
    perms: frozenset[str] = frozenset()
    # (tree path, "app_label.codename"): held on that node and everything below it.
    pages: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    collections: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def __or__(self, other: Grants) -> Grants:
        return Grants(
            self.superuser or other.superuser,
            self.perms | other.perms,
            self.pages | other.pages,
            self.collections | other.collections,
        )

    @property
    def manages_accounts(self) -> bool:
        return self.superuser or any(p.split(".")[0] in ACCOUNT_APPS for p in self.perms)

    def covers(self, wanted: Grants) -> bool:
        if self.superuser:
            return True
        return (
            not wanted.superuser
            and wanted.perms <= self.perms
            and all(_held_on_tree(item, self.pages) for item in wanted.pages)
            and all(_held_on_tree(item, self.collections) for item in wanted.collections)
        )


def _held_on_tree(item: tuple[str, str], held: frozenset[tuple[str, str]]) -> bool:
    path, perm = item
    return any(perm == p and path.startswith(node) for node, p in held)


def perm_name(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def _grants(groups: dict, own: Q | None = None, superuser: bool = False) -> Grants:
    """``groups`` filters the group of a permission row (``group__…``); ``own`` adds
    permissions held outside groups."""
    perm_q = Q(**groups) if own is None else Q(**groups) | own
    perms = Permission.objects.filter(perm_q).select_related("content_type").distinct()
    pages = GroupPagePermission.objects.filter(**groups).select_related(
        "page", "permission__content_type"
    )
    collections = GroupCollectionPermission.objects.filter(**groups).select_related(
        "collection", "permission__content_type"
    )
    return Grants(
        superuser,
        frozenset(perm_name(p) for p in perms),
        frozenset((gp.page.path, perm_name(gp.permission)) for gp in pages),
        frozenset((gc.collection.path, perm_name(gc.permission)) for gc in collections),
    )


def grants_of_user(user) -> Grants:
    """Read from the database, not from the auth backend, which gives an inactive user none."""
    if not user.pk:
        return Grants()
    return _grants({"group__user": user}, Q(user=user), superuser=user.is_superuser)


def grants_of_groups(groups: Iterable[Group]) -> Grants:
    return _grants({"group__in": [g.pk for g in groups if g.pk]})


def may_confer(actor, wanted: Grants) -> bool:
    if actor.is_active and actor.is_superuser:
        return True
    if wanted.manages_accounts:
        return False
    return grants_of_user(actor).covers(wanted)


def may_manage_user(actor, target) -> bool:
    return may_confer(actor, grants_of_user(target))


def may_manage_group(actor, group: Group) -> bool:
    return may_confer(actor, grants_of_groups([group]))


def grantable_groups(actor) -> list[Group]:
    if actor.is_superuser:
        return list(Group.objects.order_by("name"))
    own = grants_of_user(actor)
    return [
        g
        for g in Group.objects.order_by("name")
        if not (wanted := grants_of_groups([g])).manages_accounts and own.covers(wanted)
    ]
