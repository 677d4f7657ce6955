from django.apps import AppConfig
from django.db.backends.signals import connection_created
from wagtail.users import apps as wagtail_users


class CoreConfig(AppConfig):
    name = "weizhi.core"
    label = "core"
    verbose_name = "系统"

    def ready(self) -> None:
        from . import appendonly
        from .xlsx import guard_wagtail_exports, guard_wagtail_redirect_import

        guard_wagtail_exports()
        guard_wagtail_redirect_import()
        connection_created.connect(appendonly.install_sqlite_switch)


class UsersConfig(wagtail_users.WagtailUsersAppConfig):
    """Wagtail's user and group admin with our rule of who may grant what (privileges.py)."""

    default = False
    user_viewset = "weizhi.core.users_admin.UserViewSet"
    group_viewset = "weizhi.core.users_admin.GroupViewSet"
