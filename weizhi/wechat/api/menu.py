"""The custom menu (自定义菜单) calls: create, get, delete.

Each takes an optional client (tests pass one pointed at the fake); without it, the client of
the account in force now. Errors arrive as WeChatAPIError with an operator_message.
"""

from .client import WeChatClient, default_client
from .errors import WeChatAPIError


def _client(client: WeChatClient | None) -> WeChatClient:
    return client or default_client()


def create_menu(buttons: list[dict], *, client: WeChatClient | None = None) -> None:
    """Replace the Official Account's custom menu (WeChat checks the limits; see fake/menu.py)."""
    # Creating the same menu twice is harmless, so network failures may be retried.
    _client(client).post("/cgi-bin/menu/create", {"button": buttons}, idempotent=True)


def get_menu(*, client: WeChatClient | None = None) -> list[dict]:
    """The menu's buttons as WeChat holds them; [] when the account has no menu."""
    try:
        body = _client(client).get("/cgi-bin/menu/get")
    except WeChatAPIError as exc:
        if exc.errcode == 46003:
            return []
        raise
    return list((body.get("menu") or {}).get("button") or [])


def delete_menu(*, client: WeChatClient | None = None) -> None:
    _client(client).get("/cgi-bin/menu/delete")
