"""The Official Account weizhi speaks for: environment settings, admin overrides, or the
simulated account the demo runs on.

Read on every callback, so it is held in memory per process and reloaded when the settings
generation moves (any process saving the settings bumps it).
"""

import functools
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from weizhi.core.generation import Generation, HeldByGeneration

from .models import AccountSettings
from .protocol import CallbackConfig, MessageCrypto, Mode

OFFICIAL_API_BASE = "https://api.weixin.qq.com"
SIMULATED_APP_ID = "wxweizhisimulated0"
FAKE_API_PATH = "/wechat/fake-api"

ACCOUNT = Generation("wechat-account")


@dataclass(frozen=True)
class Account:
    app_id: str
    app_secret: str
    token: str
    aes_key: str
    previous_aes_key: str
    mode: Mode
    api_base: str
    simulated: bool
    # 原始ID, the ToUserName of what followers send; "" on a real account that has not set it.
    original_id: str = ""
    # Where each value came from: "环境变量", "管理后台" or "模拟账号".
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def crypto(self) -> MessageCrypto | None:
        if not self.aes_key:
            return None
        return MessageCrypto(self.aes_key, self.app_id, self.previous_aes_key or None)

    def callback_config(self) -> CallbackConfig:
        return CallbackConfig(
            token=self.token,
            mode=self.mode,
            crypto=self.crypto(),
            replay_window=settings.WECHAT_REPLAY_WINDOW,
        )


def _pick(name: str, admin: str, env: str, sources: dict[str, str]) -> str:
    if admin:
        sources[name] = "管理后台"
        return admin
    if env:
        sources[name] = "环境变量"
    return env


def load_account() -> Account:
    row = AccountSettings.load()
    sources: dict[str, str] = {}
    app_id = _pick("app_id", row.app_id, settings.WECHAT_APP_ID, sources)
    if not app_id:
        return Account(
            app_id=SIMULATED_APP_ID,
            app_secret=row.simulated_secret,
            token=row.simulated_token,
            aes_key=row.simulated_aes_key,
            previous_aes_key="",
            mode=Mode.SAFE,
            api_base=settings.SITE_URL + FAKE_API_PATH,
            simulated=True,
            original_id=row.simulated_original_id,
            sources=dict.fromkeys(
                ("app_id", "original_id", "token", "aes_key", "mode", "api_base"), "模拟账号"
            ),
        )
    aes_key = _pick("aes_key", row.encoding_aes_key, settings.WECHAT_ENCODING_AES_KEY, sources)
    mode = _pick("mode", row.message_mode, settings.WECHAT_MESSAGE_MODE, sources)
    if not mode:
        mode = Mode.SAFE if aes_key else Mode.PLAIN
    api_base = _pick("api_base", row.api_base, settings.WECHAT_API_BASE, sources)
    return Account(
        app_id=app_id,
        app_secret=settings.WECHAT_APP_SECRET,
        token=_pick("token", row.token, settings.WECHAT_TOKEN, sources),
        aes_key=aes_key,
        previous_aes_key=_pick(
            "previous_aes_key", row.previous_aes_key, settings.WECHAT_PREVIOUS_AES_KEY, sources
        ),
        mode=Mode(mode),
        api_base=(api_base or OFFICIAL_API_BASE).rstrip("/"),
        simulated=False,
        original_id=_pick("original_id", row.original_id, settings.WECHAT_ORIGINAL_ID, sources),
        sources=sources,
    )


# Another process's save is seen within a second.
_held = HeldByGeneration(load_account, [ACCOUNT], max_age=1.0)


def current_account() -> Account:
    """The account in force now, from memory unless the settings changed since."""
    return _held.get()


@functools.lru_cache(maxsize=4)
def _config_for(account: Account) -> CallbackConfig:
    return account.callback_config()


def current_callback_config() -> CallbackConfig:
    return _config_for(current_account())


def forget_account() -> None:
    """Drop this process's copy (tests that change Django settings call this)."""
    _held.forget()


@receiver(post_save, sender=AccountSettings)
def _account_changed(**kwargs: object) -> None:
    forget_account()
    ACCOUNT.bump()
