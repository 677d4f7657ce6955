"""Customer-service messages (客服消息): the payloads and the send call.

send_custom_message takes an optional client; without it, the client of the account in force
now. Errors arrive as WeChatAPIError with an operator_message.
"""

from typing import Any

from .client import WeChatClient, default_client


def _client(client: WeChatClient | None) -> WeChatClient:
    return client or default_client()


def text_message(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def news_message(title: str, description: str, url: str, picurl: str = "") -> dict[str, Any]:
    """One link card (WeChat allows a single article in a customer-service news message)."""
    article = {"title": title, "description": description, "url": url, "picurl": picurl}
    return {"msgtype": "news", "news": {"articles": [article]}}


def send_custom_message(
    openid: str, payload: dict[str, Any], *, client: WeChatClient | None = None
) -> None:
    """Send a customer-service message (within 48 hours of the follower's last message).

    Not retried on network errors: WeChat may have delivered it, and a follower should never
    get the same answer twice.
    """
    _client(client).post("/cgi-bin/message/custom/send", {"touser": openid, **payload})


def send_subscribe_message(
    openid: str,
    template_id: str,
    data: dict[str, dict[str, str]],
    *,
    page: str = "",
    client: WeChatClient | None = None,
) -> None:
    """Send a subscription message (订阅通知, ``bizsend``): allowed at any time, but only to a
    follower who subscribed to the template (else 43101). ``page`` is the web page the
    message opens. Not retried, for the reason above.
    """
    body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
    if page:
        body["page"] = page
    _client(client).post("/cgi-bin/message/subscribe/bizsend", body)
