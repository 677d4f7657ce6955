"""The daily pull of WeChat's own statistics (datacube) into analytics.WeChatDaily.

WeChat computes a day's numbers overnight and asks to be queried for yesterday after 08:00
(China time), so yesterday is pulled from READY_HOUR on; before that, the day before. Days
of the last WECHAT_STATS_BACKFILL_DAYS not pulled yet are filled in, oldest first, in as few
calls as the interfaces' spans allow. A day is marked pulled only when every interface
answered, so a failure is retried by the next run; storing replaces the day's rows, so a
pull repeated gives the same rows. With the simulated account (no account configured) the
job makes no call at all.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from wagtail.models import Page

from weizhi.analytics import wechat_stats
from weizhi.analytics.models import WeChatFamily
from weizhi.core.taskqueue import task
from weizhi.wechat.account import current_account
from weizhi.wechat.api import datacube
from weizhi.wechat.api.client import WeChatClient, default_client
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.records.models import WeChatSend

log = logging.getLogger(__name__)

READY_HOUR = 8
MAX_BACKFILL_DAYS = 180  # a bound on one run's calls whatever the setting says


def newest_ready_day(now: datetime | None = None) -> date:
    now = timezone.localtime(now)
    return now.date() - timedelta(days=1 if now.hour >= READY_HOUR else 2)


def missing_days(now: datetime | None = None) -> list[date]:
    last = newest_ready_day(now)
    span = min(settings.WECHAT_STATS_BACKFILL_DAYS, MAX_BACKFILL_DAYS)
    first = last - timedelta(days=span - 1)
    done = wechat_stats.pulled_days(first)
    return [first + timedelta(days=i) for i in range(span) if first + timedelta(days=i) not in done]


def runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges."""
    out: list[tuple[date, date]] = []
    for day in sorted(days):
        if out and out[-1][1] + timedelta(days=1) == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def pull_range(begin: date, end: date, client: WeChatClient) -> dict[str, int]:
    """Pull every interface for [begin, end] and store the rows; rows kept per family, and
    under "ready" the days WeChat has computed (getusercumulate has a row for them)."""
    days = [begin + timedelta(days=i) for i in range((end - begin).days + 1)]
    fetched = {
        WeChatFamily.USERS: [
            {
                "day": r.day,
                "key": str(r.source),
                "new_user": r.new_user,
                "cancel_user": r.cancel_user,
            }
            for r in datacube.user_summary(begin, end, client=client)
        ],
        WeChatFamily.CUMULATE: [
            {"day": r.day, "key": "", "cumulate_user": r.cumulate_user}
            for r in datacube.user_cumulate(begin, end, client=client)
        ],
        WeChatFamily.ARTICLE: _with_pages(
            [_reads(r) for r in datacube.article_summary(begin, end, client=client)]
        ),
        WeChatFamily.READ: [_reads(r) for r in datacube.user_read(begin, end, client=client)],
        WeChatFamily.SHARE: [
            {
                "day": r.day,
                "key": str(r.scene),
                "share_user": r.share_user,
                "share_count": r.share_count,
            }
            for r in datacube.user_share(begin, end, client=client)
        ],
        WeChatFamily.UPSTREAM: [
            {"day": r.day, "key": str(r.msg_type), "msg_user": r.msg_user, "msg_count": r.msg_count}
            for r in datacube.upstream_msg(begin, end, client=client)
        ],
    }
    kept = {
        family: wechat_stats.store(family, days, _merge([r for r in rows if r["day"] in days]))
        for family, rows in fetched.items()
    }
    return {**kept, "ready": {r["day"] for r in fetched[WeChatFamily.CUMULATE]}}


def _reads(r: datacube.Reads) -> dict:
    return {
        "day": r.day,
        "key": r.key[:64],
        "title": r.title,
        "read_user": r.read_user,
        "read_count": r.read_count,
        "share_user": r.share_user,
        "share_count": r.share_count,
        "fav_user": r.fav_user,
        "fav_count": r.fav_count,
    }


def _merge(rows: list[dict]) -> list[dict]:
    """One row per (day, key): a key WeChat lists twice for a day is added up."""
    merged: dict[tuple, dict] = {}
    for row in rows:
        seen = merged.get((row["day"], row["key"]))
        if seen is None:
            merged[(row["day"], row["key"])] = dict(row)
            continue
        for name in wechat_stats.NUMBERS:
            if name in row:
                seen[name] = seen.get(name, 0) + row[name]
    return list(merged.values())


def _with_pages(rows: list[dict]) -> list[dict]:
    """Link each article to our page: msgid is "<msg_data_id>_<index>" of one of our sends,
    whose page is the 头条 (index 1) and more_pages the 次条 in order."""
    data_ids = {row["key"].rpartition("_")[0] for row in rows}
    sends = {
        s.msg_data_id: [s.page_id, *s.more_pages]
        for s in WeChatSend.objects.filter(msg_data_id__in=data_ids - {""}).only(
            "msg_data_id", "page_id", "more_pages"
        )
    }
    # more_pages keeps the ids of 次条 deleted since: link only pages that still exist.
    alive = set(
        Page.objects.filter(pk__in={p for pages in sends.values() for p in pages}).values_list(
            "pk", flat=True
        )
    )
    for row in rows:
        data_id, _, index = row["key"].rpartition("_")
        pages = sends.get(data_id) or []
        n = int(index) - 1 if index.isascii() and index.isdigit() else -1
        page = pages[n] if 0 <= n < len(pages) else None
        row["page_id"] = page if page in alive else None
    return rows


@task()
def pull_wechat_statistics() -> str:
    """The periodic job: pull the days not pulled yet; nothing without a real account."""
    if current_account().simulated:
        return "no account"
    days = missing_days()
    if not days:
        return "up to date"
    client = default_client()
    pulled = failed = 0
    for begin, end in runs(days):
        try:
            kept = pull_range(begin, end, client)
        except WeChatAPIError as exc:
            log.warning(
                "wechat statistics %s..%s not pulled: errcode=%s %s",
                begin,
                end,
                exc.errcode,
                exc.operator_message,
            )
            failed += (end - begin).days + 1
            continue
        except ValueError as exc:  # an answer we could not read (a bad ref_date)
            log.warning("wechat statistics %s..%s unreadable: %s", begin, end, exc)
            failed += (end - begin).days + 1
            continue
        except DatabaseError:  # one range that cannot be stored must not stop the others
            log.exception("wechat statistics %s..%s not stored", begin, end)
            failed += (end - begin).days + 1
            continue
        # A day WeChat has not computed yet (its numbers are sometimes late after 08:00)
        # answers with no rows: it stays missing and is asked for again by the next run.
        ready = sorted(kept["ready"])
        wechat_stats.mark_pulled(ready)
        pulled += len(ready)
        failed += (end - begin).days + 1 - len(ready)
    return f"pulled {pulled} days, {failed} failed"
