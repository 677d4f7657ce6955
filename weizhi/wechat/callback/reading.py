"""听读悟 by voice message: while a clip is current for a bound member (opened on the member
pages within the last day, or, when no reply rule wants the message, the clip of the week), a
voice message is a reading of it. The callback only looks (two indexed reads) and answers at
once; the task fetches the recording by its MediaId, hands it to the read-aloud service (with
WeChat's Recognition as the transcript when present) and sends the result as a
customer-service message."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.urls import reverse

from weizhi.audience.models import Follower, Member
from weizhi.readaloud import services as readaloud
from weizhi.readaloud.models import Channel, Clip
from weizhi.wechat.api.errors import NETWORK_ERROR, WeChatAPIError
from weizhi.wechat.api.media import get_media
from weizhi.wechat.protocol import Reply, TextReply, VoiceMessage
from weizhi.wechat.signin.links import login_link

log = logging.getLogger(__name__)
RECENT = timedelta(hours=24)
ACKNOWLEDGEMENT = "收到您的朗读，正在处理，结果稍后发给您。"


def _member(openid: str) -> Member | None:
    follower = Follower.objects.filter(openid=openid).select_related("member").first()
    return follower.member if follower is not None and follower.member_id else None


def clip_for(message: VoiceMessage, *, recent_only: bool) -> Clip | None:
    member = _member(message.from_user)
    if member is None:
        return None
    return readaloud.current_clip(member, within=RECENT if recent_only else None)


def acknowledge() -> Reply:
    return TextReply(ACKNOWLEDGEMENT)


def finish(message: VoiceMessage) -> Reply:
    """In the task: fetch, check, score and store; the answer the follower gets."""
    member = _member(message.from_user)
    clip = readaloud.current_clip(member) if member is not None else None
    if member is None or clip is None:
        return TextReply("现在没有可朗读的篇目。")
    try:
        data, _kind = get_media(message.media_id)
    except WeChatAPIError as error:
        if error.errcode == NETWORK_ERROR:
            raise  # worth the task's retry
        # An expired or unknown MediaId (40007 …) will not come back: tell the follower.
        log.warning("readaloud: voice %s not fetched: %s", message.media_id, error)
        return TextReply("录音获取失败，请重新发送语音。")
    try:
        reading = readaloud.submit(
            member, clip, [data], channel=Channel.WECHAT, hint=message.recognition,
            media_id=message.media_id,
        )  # fmt: skip
    except readaloud.ReadingError as error:
        return TextReply(f"朗读未能记录：{error}")
    link = login_link(message.from_user, next_path=reverse("readaloud:reading", args=[reading.pk]))
    result = "打卡成功" if reading.score is None else f"得分 {reading.score:g}"
    streak = readaloud.streak(member)
    return TextReply(
        f"《{clip.title}》朗读已记录，{result}，已连续打卡 {streak} 天。\n"
        f'<a href="{link}">点此查看比对和解读</a>'
    )
