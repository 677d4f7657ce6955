from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created
from wagtail.users import apps as wagtail_users


class CoreConfig(AppConfig):
    name = "weizhi.core"
    label = "core"
    verbose_name = "系统"

    def ready(self) -> None:
        from . import adminlabels, appendonly, taskqueue, walcheckpoint
        from .health import check_scheduler, register_check
        from .schedule import register_job
        from .tasks import (
            prune_rate_counters,
            prune_task_results,
            publish_scheduled_pages,
            requeue_abandoned,
        )
        from .xlsx import guard_wagtail_exports, guard_wagtail_redirect_import

        adminlabels.apply()
        guard_wagtail_exports()
        guard_wagtail_redirect_import()
        connection_created.connect(appendonly.install_sqlite_switch)
        connection_created.connect(walcheckpoint.on_connection_created)
        register_check("scheduler", check_scheduler)
        taskqueue.connect_signals()
        register_job(publish_scheduled_pages, every=lambda: settings.SCHEDULE_PUBLISH_SECONDS)
        register_job(prune_task_results, every=24 * 3600)
        register_job(prune_rate_counters, every=3600)
        # A dead worker's tasks are handed on within a minute.
        register_job(requeue_abandoned, every=15)


class UsersConfig(wagtail_users.WagtailUsersAppConfig):
    """Wagtail's user and group admin with our rule of who may grant what (privileges.py)."""

    default = False
    user_viewset = "weizhi.core.users_admin.UserViewSet"
    group_viewset = "weizhi.core.users_admin.GroupViewSet"

    def ready(self) -> None:
        from .users_admin import name_in_chinese_order

        super().ready()
        name_in_chinese_order()
