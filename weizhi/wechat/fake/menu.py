"""WeChat's custom-menu limits, as menu/create enforces them, with its error codes."""

from typing import Any

from .wire import Refusal

KEY_TYPES = {
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
}
TYPES = {*KEY_TYPES, "view", "miniprogram", "media_id", "article_id", "article_view_limited"}
TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024

# (top-level code, sub-button code) for each kind of violation
CODES = {
    "type": (40017, 40024, "invalid button type", "invalid sub button type"),
    "name": (40018, 40025, "invalid button name size", "invalid sub button name size"),
    "key": (40019, 40026, "invalid button key size", "invalid sub button key size"),
    "url": (40020, 40027, "invalid button url size", "invalid sub button url size"),
}


def validate_menu(body: dict) -> list[dict]:
    buttons = body.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise Refusal(40016, "invalid button size")
    for button in buttons:
        _check_top(button)
    return buttons


def _check_top(button: Any) -> None:
    if not isinstance(button, dict):
        raise Refusal(40016, "invalid button size")
    _check_name(button, TOP_NAME_BYTES, sub=False)
    subs = button.get("sub_button")
    if subs:
        if not isinstance(subs, list) or len(subs) > 5:
            raise Refusal(40023, "invalid sub button size")
        for sub in subs:
            if not isinstance(sub, dict):
                raise Refusal(40023, "invalid sub button size")
            if sub.get("sub_button"):
                raise Refusal(40022, "invalid sub menu level")
            _check_name(sub, SUB_NAME_BYTES, sub=True)
            _check_action(sub, sub=True)
        return
    _check_action(button, sub=False)


def _refuse(kind: str, sub: bool) -> Refusal:
    top_code, sub_code, top_msg, sub_msg = CODES[kind]
    return Refusal(sub_code, sub_msg) if sub else Refusal(top_code, top_msg)


def _size(value: Any) -> int:
    return len(str(value).encode()) if value else 0


def _check_name(button: dict, limit: int, sub: bool) -> None:
    if not 0 < _size(button.get("name")) <= limit:
        raise _refuse("name", sub)


def _check_action(button: dict, sub: bool) -> None:
    kind = button.get("type")
    if kind not in TYPES:
        raise _refuse("type", sub)
    if kind in KEY_TYPES and not 0 < _size(button.get("key")) <= KEY_BYTES:
        raise _refuse("key", sub)
    if kind in ("view", "miniprogram") and not 0 < _size(button.get("url")) <= URL_BYTES:
        raise _refuse("url", sub)
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        raise Refusal(40035, "invalid args: miniprogram button needs appid and pagepath")
    if kind in ("media_id", "article_view_limited") and not button.get("media_id"):
        raise Refusal(40007, "invalid media_id")
    if kind == "article_id" and not button.get("article_id"):
        raise Refusal(40035, "invalid args: article_id missing")


def menu_for_get(buttons: list[dict]) -> dict:
    """menu/get answers every button with a sub_button list, empty for leaf buttons."""
    out = []
    for button in buttons:
        subs = [{**sub, "sub_button": []} for sub in button.get("sub_button") or []]
        out.append({**button, "sub_button": subs})
    return {"menu": {"button": out}}
