"""The office's answer as a subscription message (订阅通知), for after WeChat's 48 hours.

The template is the account's own (chosen in 公众平台 → 订阅通知), so which of its keys
carries the item's title, the answer and the time is a setting: ``WECHAT_REPLY_TEMPLATE_FIELDS``
such as ``thing1:title,thing2:reply,time3:time``. WeChat refuses a value longer than its
key's type allows (47003), so every value is cut to fit here, an ellipsis marking the cut.
No Django here.
"""

from __future__ import annotations

import re
from datetime import datetime

ROLES = ("title", "reply", "time")
FIELD = re.compile(r"([a-z_]+?)(\d+)")
# WeChat's limits per key type, in characters.
LIMITS = {
    "thing": 20,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "phrase": 5,
    "name": 10,
    "amount": 11,
}


def parse_fields(spec: str) -> dict[str, str]:
    """``"thing1:title,time3:time"`` → ``{"title": "thing1", "time": "time3"}``."""
    fields: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, _, role = (x.strip() for x in part.partition(":"))
        match = FIELD.fullmatch(key)
        if match is None or role not in ROLES or role in fields:
            raise ValueError(f"bad field {part!r}: use key:role, roles {', '.join(ROLES)}")
        if role == "time" and match[1] != "time":
            raise ValueError(f"the time must go in a time key, not {key!r}")
        if role != "time" and match[1] not in LIMITS:
            raise ValueError(f"{key!r} cannot carry text; use thing, character_string …")
        fields[role] = key
    if not fields:
        raise ValueError("no fields")
    return fields


def fit(key: str, value: str) -> str:
    """The value cut to its key's limit (thing: 20), whitespace folded."""
    value = " ".join(value.split())
    match = FIELD.fullmatch(key)
    limit = LIMITS.get(match[1] if match else "", 20)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def template_data(fields: dict[str, str], *, title: str, reply: str, at: datetime) -> dict:
    values = {"title": title, "reply": reply, "time": f"{at:%Y年%m月%d日 %H:%M}"}
    return {
        key: {"value": values[role] if role == "time" else fit(key, values[role])}
        for role, key in fields.items()
    }
