from django.apps import AppConfig
from django.conf import settings


class WechatConfig(AppConfig):
    name = "weizhi.wechat"
    label = "wechat"
    verbose_name = "公众号"

    def ready(self) -> None:
        from weizhi.audience import identity
        from weizhi.core.schedule import register_job
        from weizhi.inbox.channels import WECHAT, register_sender
        from weizhi.moderation.models import Kind
        from weizhi.moderation.services import on_admin_link, on_decision

        from . import account  # noqa: F401  (signal receivers, as are media and rules)
        from .api.client import serve_simulated_with
        from .callback import media, rules  # noqa: F401
        from .comments.hooks import moderation_link
        from .comments.services import on_moderation_decision, pull_recent_comments
        from .fake.urls import in_process
        from .followers import roster_tags  # signal receiver
        from .inbox.bridge import bridge_to_inbox
        from .inbox.sender import send_reply
        from .publishing.poll import poll_publishes
        from .signin import views as signin_views
        from .stats.pull import pull_wechat_statistics

        # The simulated account's API calls go to its fake in this process, not over HTTP.
        serve_simulated_with(in_process)
        identity.add_sign_in_route(signin_views.sign_in_route)
        # There is always an account to ask (the simulated one when none is configured), so
        # publishes whose PUBLISHJOBFINISH is overdue are always looked for.
        register_job(poll_publishes, every=60)
        # Followers' messages become inbox items; the office's answers go back as
        # customer-service messages.
        register_job(bridge_to_inbox, every=lambda: settings.WECHAT_INBOX_SECONDS)
        register_sender(WECHAT, send_reply)
        # Readers' comments on our WeChat articles wait in the one moderation queue.
        on_decision(Kind.COMMENT, on_moderation_decision)
        on_admin_link(Kind.COMMENT, moderation_link)
        # A real account: bring followers and their tags, and readers' comments, in daily.
        register_job(roster_tags.sync_followers_task, every=24 * 3600, when=real_account)
        register_job(pull_recent_comments, every=24 * 3600, when=real_account)
        # WeChat's own statistics, beside ours: hourly, so yesterday comes soon after WeChat
        # has it (08:00); a run with every day pulled makes no call. The job itself checks
        # for a real account, which may also be set in the admin.
        register_job(pull_wechat_statistics, every=3600)


def real_account() -> bool:
    return bool(settings.WECHAT_APP_ID)
