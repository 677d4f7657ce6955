"""Every change to the custom menu: saving the draft, pushing it to WeChat (as a task), and
replacing the draft with the menu live in WeChat. Views and the demo loader call these."""

import logging

from django.db import transaction

from weizhi.core.taskqueue import task
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.api.menu import create_menu, get_menu
from weizhi.wechat.models import CustomMenu, MenuPush

from . import rules as menu

log = logging.getLogger(__name__)


def save_menu(buttons: list[menu.Button], *, by=None) -> CustomMenu:
    saved = CustomMenu.load()
    saved.buttons = buttons
    if by is not None:
        saved.updated_by = by
    saved.save()
    return saved


def push_saved_menu(saved: CustomMenu, *, by) -> MenuPush:
    """Record a push of the saved menu and send it to WeChat once the transaction commits."""
    push = MenuPush.objects.create(buttons=saved.buttons, pushed_by=by)
    log.info("user %s pushes the custom menu (push %s)", by.pk, push.pk)
    transaction.on_commit(lambda: push_menu.enqueue(push.pk))
    return push


@task()
def push_menu(push_id: int) -> str:
    push = MenuPush.objects.get(pk=push_id)
    try:
        create_menu(menu.to_wechat(push.buttons))
    except WeChatAPIError as exc:
        log.warning("menu push %s failed: %s", push_id, exc)
        push.status, push.message = MenuPush.Status.FAILED, exc.operator_message[:300]
    else:
        push.status, push.message = MenuPush.Status.DONE, "菜单已推送，粉丝重新进入公众号后可见。"
    push.save(update_fields=["status", "message"])
    return push.status


def pull_live_menu(*, by) -> CustomMenu:
    """Replace the draft with the menu live in WeChat now; WeChatAPIError when it cannot."""
    return save_menu(get_menu(), by=by)
