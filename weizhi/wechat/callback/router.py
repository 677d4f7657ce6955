"""Which reply a message gets: the first matching rule, by trigger and priority.

Routing only reads (rules from memory, a few indexed queries for built-in actions), so it
is safe on the callback's 5-second path. An action that may be slow answers with a short
acknowledgement now and leaves its real answer to a task (`Outcome.later`).
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from weizhi.wechat.models import ReplyRule
from weizhi.wechat.protocol import (
    ClickEvent,
    Event,
    ImageReply,
    Message,
    Reply,
    SubscribeEvent,
    TextMessage,
    TextReply,
    VoiceMessage,
)

from . import actions, reading
from .rules import CompiledRule, current_rules

Trigger = ReplyRule.Trigger


@dataclass(frozen=True)
class Outcome:
    reply: Reply | None
    rule_id: int | None = None
    later: actions.Later | None = None  # work to finish in a task, answered by a CS message


NOTHING = Outcome(reply=None)


def text_of(message: Message) -> str | None:
    """What the follower said, for keyword matching: text, or recognised speech."""
    if isinstance(message, TextMessage):
        return message.content.strip()
    if isinstance(message, VoiceMessage) and message.recognition:
        return message.recognition.strip().rstrip("。！？.!?")
    return None


def route(message: Message, now: datetime | None = None) -> Outcome:
    rules = current_rules()
    clock = timezone.localtime(now or timezone.now()).time()

    def first(trigger: str) -> CompiledRule | None:
        return next((r for r in rules[trigger] if r.active_at(clock)), None)

    if isinstance(message, SubscribeEvent):
        rule = first(Trigger.SUBSCRIBE)
        return answer(rule, message) if rule else NOTHING
    if isinstance(message, ClickEvent):
        key = (message.event_key or "").lower()
        for rule in rules[Trigger.CLICK]:
            if rule.active_at(clock) and key in rule.keywords:
                return answer(rule, message)
        return NOTHING
    if isinstance(message, Event):
        return NOTHING  # VIEW, LOCATION, job reports … are kept, not answered
    if isinstance(message, VoiceMessage) and reading.clip_for(message, recent_only=True):
        return Outcome(reading.acknowledge(), later=actions.Later("readaloud"))
    text = text_of(message)
    if text:
        for rule in rules[Trigger.KEYWORD]:
            if not rule.active_at(clock):
                continue
            matched = rule.matches_text(text)
            if matched is not None:
                return answer(rule, message, query=query_from(text, matched))
    if isinstance(message, VoiceMessage) and reading.clip_for(message, recent_only=False):
        return Outcome(reading.acknowledge(), later=actions.Later("readaloud"))
    rule = first(Trigger.DEFAULT)
    return answer(rule, message) if rule else NOTHING


def query_from(text: str, matched: re.Match | str) -> str:
    """The words after the keyword ("搜索 党章" → "党章"), or the regex's first group."""
    if isinstance(matched, re.Match):
        if matched.groups() and matched.group(1):
            return matched.group(1).strip()
        return (text[: matched.start()] + text[matched.end() :]).strip()
    index = text.lower().find(matched)
    rest = text[:index] + text[index + len(matched) :] if index >= 0 else text
    return rest.strip(" ：:，,")


def answer(rule: CompiledRule, message: Message, query: str = "") -> Outcome:
    if rule.reply_type == ReplyRule.ReplyType.TEXT:
        return Outcome(TextReply(rule.text), rule.id)
    if rule.reply_type == ReplyRule.ReplyType.IMAGE:
        if rule.image_media_id:
            return Outcome(ImageReply(rule.image_media_id), rule.id)
        # Not yet uploaded to WeChat: show the picture as a card instead of nothing.
        return Outcome(actions.image_card(rule.image_id, rule.name), rule.id)
    if rule.reply_type == ReplyRule.ReplyType.NEWS:
        if not rule.cards:
            return NOTHING
        return Outcome(actions.cards_reply(list(rule.cards), message), rule.id)
    outcome = actions.run(rule.action, message, query=query, column_id=rule.action_column_id)
    return Outcome(outcome.reply, rule.id, outcome.later)
