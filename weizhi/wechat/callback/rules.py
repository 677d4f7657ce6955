"""The reply rules, compiled once per process and matched in memory on every message.

Editors change rules in the admin; saving bumps a generation that every process checks
before matching, so a change is live everywhere on the next message. Published pages move
the page cache's generation, which rebuilds the news cards (titles, links) too.
"""

import re
from dataclasses import dataclass
from datetime import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from weizhi.content.pagecache import PAGES
from weizhi.core.generation import Generation, HeldByGeneration
from weizhi.wechat.models import ReplyCard, ReplyRule
from weizhi.wechat.protocol import Article

from .actions import absolute

RULES = Generation("wechat-rules")
# Scaled mode reads generations from Redis; on the callback's hot path a second-old value is
# fine (a rule saved in another process is live within a second).
STALE_OK = 1.0


@dataclass(frozen=True)
class CompiledRule:
    id: int
    name: str
    trigger: str
    match: str
    keywords: tuple[str, ...]  # lower-cased, except regexes
    patterns: tuple[re.Pattern, ...]
    active_from: time | None
    active_until: time | None
    reply_type: str
    text: str
    image_id: int | None
    image_media_id: str
    action: str
    action_column_id: int | None
    cards: tuple[Article, ...]

    def active_at(self, now: time) -> bool:
        start, end = self.active_from, self.active_until
        if start is None or end is None:
            return True
        if start <= end:
            return start <= now < end
        return now >= start or now < end  # a window across midnight, e.g. 22:00–07:00

    def matches_text(self, text: str) -> re.Match | str | None:
        """What in `text` this keyword rule matched, or None."""
        if self.match == ReplyRule.Match.REGEX:
            for pattern in self.patterns:
                found = pattern.search(text)
                if found:
                    return found
            return None
        folded = text.lower()
        for keyword in self.keywords:
            if (self.match == ReplyRule.Match.EXACT and folded == keyword) or (
                self.match == ReplyRule.Match.CONTAINS and keyword in folded
            ):
                return keyword
        return None


def card_for(card: ReplyCard) -> Article | None:
    page = card.page.specific if card.page_id else None
    if page is not None and not page.live:
        return None
    image = card.image or getattr(page, "cover", None)
    return Article(
        title=card.title or (page.title if page else ""),
        description=card.description or getattr(page, "summary", ""),
        pic_url=absolute(image.get_rendition("fill-360x200").url) if image else "",
        url=absolute(page.url) if page is not None else card.url,
    )


def compile_rule(rule: ReplyRule) -> CompiledRule:
    keywords = tuple(rule.keyword_list())
    patterns: tuple[re.Pattern, ...] = ()
    if rule.match == ReplyRule.Match.REGEX:
        patterns = tuple(re.compile(k, re.IGNORECASE) for k in keywords)
    cards = tuple(c for c in (card_for(card) for card in rule.cards.all()) if c is not None)
    return CompiledRule(
        id=rule.pk,
        name=rule.name,
        trigger=rule.trigger,
        match=rule.match,
        keywords=tuple(k.lower() for k in keywords)
        if rule.match != ReplyRule.Match.REGEX
        else keywords,
        patterns=patterns,
        active_from=rule.active_from,
        active_until=rule.active_until,
        reply_type=rule.reply_type,
        text=rule.text,
        image_id=rule.image_id,
        image_media_id=rule.image_media_id,
        action=rule.action,
        action_column_id=rule.action_column_id,
        cards=cards,
    )


def load_rules() -> dict[str, tuple[CompiledRule, ...]]:
    """Enabled rules by trigger, highest priority first."""
    by_trigger: dict[str, list[CompiledRule]] = {t: [] for t in ReplyRule.Trigger.values}
    rules = ReplyRule.objects.filter(enabled=True).prefetch_related(
        "cards__page", "cards__image", "image"
    )
    for rule in rules.order_by("-priority", "id"):
        try:
            compiled = compile_rule(rule)
        except re.error:
            continue  # the admin form refuses bad patterns; an old row must not stop the rest
        by_trigger[rule.trigger].append(compiled)
    return {trigger: tuple(rules) for trigger, rules in by_trigger.items()}


_held = HeldByGeneration(load_rules, [RULES, PAGES], max_age=STALE_OK)


def current_rules() -> dict[str, tuple[CompiledRule, ...]]:
    return _held.get()


def forget_rules() -> None:
    _held.forget()


@receiver(post_save, sender=ReplyRule)
@receiver(post_delete, sender=ReplyRule)
@receiver(post_save, sender=ReplyCard)
@receiver(post_delete, sender=ReplyCard)
def _rules_changed(**kwargs: object) -> None:
    forget_rules()
    RULES.bump()
