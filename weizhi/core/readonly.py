"""A Wagtail permission policy for records nobody edits: audit entries."""

from django.contrib.auth import get_user_model
from wagtail.permission_policies import ModelPermissionPolicy

WRITES = frozenset({"add", "change", "delete"})


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Viewing as Django's permissions allow; adding, changing and deleting for no one,
    superusers included, so the admin offers no such button and refuses the URLs."""

    def user_has_permission(self, user, action: str) -> bool:
        return action not in WRITES and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        readable = [a for a in actions if a not in WRITES]
        if not readable:
            return get_user_model().objects.none()
        return super().users_with_any_permission(readable)
