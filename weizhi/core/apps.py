from django.apps import AppConfig
from wagtail.users import apps as wagtail_users


class CoreConfig(AppConfig):
    name = "weizhi.core"
    label = "core"
    verbose_name = "系统"


class UsersConfig(wagtail_users.WagtailUsersAppConfig):
    """Wagtail's user and group admin with our rule of who may grant what (privileges.py)."""

    default = False
    user_viewset = "weizhi.core.users_admin.UserViewSet"
    group_viewset = "weizhi.core.users_admin.GroupViewSet"
