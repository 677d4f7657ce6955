"""WeChat API errors, with the message an operator reads in the admin."""

import re

# The access token WeChat rejected: refresh it once and try the call again.
TOKEN_INVALID = frozenset({40001, 40014, 42001})
SYSTEM_BUSY = -1
NETWORK_ERROR = -2  # ours, not WeChat's: the request did not get an answer

_IP_IN_ERRMSG = re.compile(r"invalid ip ([0-9A-Fa-f:.]+)")

_MESSAGES: dict[int, str] = {
    SYSTEM_BUSY: "微信系统繁忙，已自动重试仍未成功，请稍后再试。",
    NETWORK_ERROR: "无法连接微信服务器（网络错误或超时），请检查服务器网络后重试。",
    40001: "公众号接口凭证无效：请检查 AppSecret 是否正确、是否在微信公众平台重置过。",
    40013: "AppID 不正确，请检查公众号设置中的 AppID。",
    40125: "AppSecret 不正确，请检查环境变量 WECHAT_APP_SECRET。",
    40003: "OpenID 不正确，或该用户不是本公众号的粉丝。",
    40029: "网页授权的 code 无效或已过期，请重新打开链接。",
    40163: "网页授权的 code 已被使用，请重新打开链接。",
    40007: "素材 media_id 无效或已被删除。",
    40132: "微信号不正确：请填写对方的微信号（不是昵称），并确认他已关注公众号。",
    45009: (
        "今天调用该接口的次数已达微信的每日上限，请明天再试，"
        "或在公众平台「接口权限」中清零调用次数。"
    ),
    45015: "该粉丝超过 48 小时未与公众号互动，不能再给他发客服消息。",
    43101: "该粉丝没有订阅（或已拒收）这条订阅通知，公众号无法给他发送。",
    47003: "订阅通知的模板参数不正确：请检查模板 ID 和 WECHAT_REPLY_TEMPLATE_FIELDS 的字段。",
    45047: "给该粉丝发送的客服消息条数已达上限，请等待粉丝再次互动。",
    45065: "该次群发已经提交过，不会重复发送。",
    45066: "同一群发重试过快，请一分钟后再试。",
    45028: "本月（或今日）群发次数已用完。",
    48001: "公众号没有该接口的权限：未认证的订阅号无法使用此功能，请在公众平台「接口权限」中查看。",
    50005: "该粉丝尚未关注公众号。",
    53503: "草稿未通过发布检查，请在公众平台查看原因。",
    61500: "数据统计接口的日期格式不正确（应为 YYYY-MM-DD）。",
    61501: "数据统计接口的日期范围不正确：超过该接口的最大跨度，或结束日期不早于今天。",
}


class WeChatAPIError(Exception):
    """WeChat answered with a non-zero errcode, or did not answer at all."""

    def __init__(
        self, errcode: int, errmsg: str = "", path: str = "", body: dict | None = None
    ) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path
        self.body = body or {}  # the whole answer: 45065 carries the earlier msg_id
        super().__init__(f"{path} errcode={errcode} errmsg={errmsg}")

    @property
    def operator_message(self) -> str:
        """A Chinese sentence telling the operator what went wrong and what to do."""
        return operator_message(self.errcode, self.errmsg)


def operator_message(errcode: int, errmsg: str = "") -> str:
    if errcode == 40164:
        return _ip_message(errmsg)
    if errcode in TOKEN_INVALID:
        return _MESSAGES[40001]
    known = _MESSAGES.get(errcode)
    if known:
        return known
    return f"微信接口返回错误 {errcode}：{errmsg or '未知错误'}"


def _ip_message(errmsg: str) -> str:
    match = _IP_IN_ERRMSG.search(errmsg)
    where = "请登录微信公众平台，在「设置与开发 → 基本配置 → IP白名单」中添加"
    if match:
        ip = match.group(1)
        return f"服务器 IP {ip} 不在公众号的 IP 白名单中。{where} {ip} 后重试。"
    return f"服务器 IP 不在公众号的 IP 白名单中。{where}本服务器的出口 IP 后重试。"
