"""The custom menu (自定义菜单) in WeChat's own shape, and WeChat's rules for it.

A menu is the list WeChat calls "button": up to three top buttons, each either an action
or a group of up to five sub-buttons. Names are limited in bytes of UTF-8, as WeChat counts
them (a Chinese character is three bytes). Pure Python: no Django here.
"""

from typing import Any

MAX_TOP = 3
MAX_SUB = 5
TOP_NAME_BYTES = 16  # 5 汉字
SUB_NAME_BYTES = 60  # 20 汉字
KEY_BYTES = 128
URL_BYTES = 1024

TYPES = {"click": "点击后回复", "view": "打开网页", "miniprogram": "打开小程序"}

Button = dict[str, Any]


def _bytes(text: str) -> int:
    return len(text.encode())


def _action_errors(button: Button, where: str) -> list[str]:
    kind = button.get("type", "")
    if kind not in TYPES:
        return [f"{where}：请选择类型（点击后回复、打开网页或打开小程序）。"]
    errors = []
    key, url = button.get("key", ""), button.get("url", "")
    if kind == "click":
        if not key:
            errors.append(f"{where}：“点击后回复”需要填写菜单 key。")
        elif _bytes(key) > KEY_BYTES:
            errors.append(f"{where}：菜单 key 不能超过 {KEY_BYTES} 字节。")
    if kind in ("view", "miniprogram"):
        if not url.startswith(("http://", "https://")):
            errors.append(f"{where}：网页地址需以 http:// 或 https:// 开头。")
        elif _bytes(url) > URL_BYTES:
            errors.append(f"{where}：网页地址不能超过 {URL_BYTES} 字节。")
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        errors.append(f"{where}：打开小程序需要填写小程序 AppID 和页面路径。")
    return errors


def _name_errors(name: str, limit: int, where: str) -> list[str]:
    if not name:
        return [f"{where}：请填写菜单名称。"]
    if _bytes(name) > limit:
        return [f"{where}：名称“{name}”太长，最多 {limit} 字节（约 {limit // 3} 个汉字）。"]
    return []


def validate(buttons: list[Button]) -> list[str]:
    """Every reason WeChat would refuse this menu, in Chinese, naming the button."""
    if not buttons:
        return ["菜单至少要有一个按钮。"]
    if len(buttons) > MAX_TOP:
        return [f"一级菜单最多 {MAX_TOP} 个。"]
    errors: list[str] = []
    for i, top in enumerate(buttons, 1):
        where = f"第 {i} 个一级菜单"
        errors += _name_errors(top.get("name", ""), TOP_NAME_BYTES, where)
        subs = top.get("sub_button") or []
        if len(subs) > MAX_SUB:
            errors.append(f"{where}：子菜单最多 {MAX_SUB} 个。")
        if not subs:
            errors += _action_errors(top, where)
        for j, sub in enumerate(subs, 1):
            sub_where = f"{where}的第 {j} 个子菜单"
            errors += _name_errors(sub.get("name", ""), SUB_NAME_BYTES, sub_where)
            errors += _action_errors(sub, sub_where)
    return errors


def _clean(button: Button) -> Button:
    kind = button["type"]
    out: Button = {"type": kind, "name": button["name"]}
    if kind == "click":
        out["key"] = button["key"]
    else:
        out["url"] = button["url"]
    if kind == "miniprogram":
        out["appid"], out["pagepath"] = button["appid"], button["pagepath"]
    return out


def to_wechat(buttons: list[Button]) -> list[Button]:
    """The "button" list for menu/create, with only the fields each type takes."""
    result = []
    for top in buttons:
        subs = top.get("sub_button") or []
        if subs:
            result.append({"name": top["name"], "sub_button": [_clean(s) for s in subs]})
        else:
            result.append(_clean(top))
    return result


def click_keys(buttons: list[Button]) -> list[tuple[str, str]]:
    """(key, name) of every click button, for the simulator and the rule editor."""
    found = []
    for top in buttons:
        for button in top.get("sub_button") or [top]:
            if button.get("type") == "click" and button.get("key"):
                found.append((button["key"], button["name"]))
    return found
