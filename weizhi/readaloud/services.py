"""Every change to readings goes through here: a recording handed in (from the member pages or
a voice message), a decision on it in the shared queue, the clip a member has open, and the
pruning of old recordings.

A recording is checked while it is still a temporary file (format by its bytes, size,
duration); only a recording that passes is stored, in the same transaction as its reading
and its queue item, so a refusal leaves nothing behind.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from weizhi.analytics import events
from weizhi.audience.models import Member
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Action, Item, Kind, Source
from weizhi.points import services as points

from . import audio, conf, recognisers, scoring
from .models import Channel, Clip, Current, Reading, WeChatRecording

log = logging.getLogger(__name__)
MIN_SECONDS = 1.0
# Under a second of the leanest recording (AMR) is already more than this; a file below it
# holds a header and no reading.
MIN_BYTES = 1024
CHECKIN, APPROVED = "readaloud_checkin", "readaloud_approved"
CHECKIN_TEXT = "（打卡：未识别文字，请收听录音）"


class ReadingError(ValueError):
    """The recording is refused; the message is for the member."""


@dataclass(frozen=True)
class Checked:
    path: Path
    fmt: str
    seconds: float


def _spool(chunks: Iterable[bytes], limit: int) -> Path:
    """The upload on disk, refused once it passes the limit (never held whole in memory)."""
    size = 0
    with tempfile.NamedTemporaryFile(prefix="readaloud-", suffix=".audio", delete=False) as spool:
        path = Path(spool.name)
        try:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise ReadingError(f"录音文件超过 {limit // (1024 * 1024)} MB，请录短一些。")
                spool.write(chunk)
        except BaseException:
            spool.close()
            path.unlink(missing_ok=True)
            raise
    return path


def check(chunks: Iterable[bytes], declared_seconds: float | None = None) -> Checked:
    """A recording judged by its bytes; the temporary file is the caller's to delete."""
    path = _spool(chunks, conf.max_bytes())
    try:
        with path.open("rb") as f:
            head = f.read(64)
        fmt = audio.sniff(head)
        if fmt is None:
            raise ReadingError("这不是可以识别的录音文件（支持 webm、ogg、mp3、m4a、amr、wav）。")
        if path.stat().st_size < MIN_BYTES:
            raise ReadingError("录音文件太小（不足 1 KB），里面没有朗读，请重新录音后再提交。")
        declared = max(0.0, min(float(declared_seconds or 0), 24 * 3600.0))
        measured = audio.seconds(path, fmt)
        seconds = measured
        if seconds is None or fmt in audio.LOWER_BOUND:
            seconds = max(seconds or 0.0, declared)
        limit = conf.max_seconds()
        if seconds > limit:
            raise ReadingError(f"录音超过 {limit // 60} 分 {limit % 60} 秒的上限，请分段朗读。")
        # A length read from the file (not only a lower bound) or reported by the recorder is
        # known, 0.0 included; only a file that tells nothing is let through on its size.
        known = declared > 0 or (measured is not None and fmt not in audio.LOWER_BOUND)
        if known and seconds < MIN_SECONDS:
            raise ReadingError("录音太短，请读完一段再提交。")
        return Checked(path, fmt, seconds)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _recognise(path: Path, fmt: str, hint: str | None) -> str | None:
    """The configured recogniser's transcript; one that fails leaves a check-in, not an error."""
    try:
        return recognisers.current().recognise(path, fmt, hint)
    except Exception:
        log.exception("readaloud: the recogniser failed; the reading is kept as a check-in")
        return None


def open_clip(member: Member, clip: Clip) -> None:
    """The member opened this clip: their voice messages read it from now on."""
    Current.objects.update_or_create(member=member, defaults={"clip": clip, "at": timezone.now()})


def current_clip(member: Member, within: timedelta | None = None) -> Clip | None:
    """The clip a voice message reads: the one last opened, if still open, else the first
    open clip of the first series (the clip of the week). With ``within``, only a clip opened
    that recently, and no clip of the week."""
    open_clips = Clip.objects.open_on()
    chosen = Current.objects.filter(member=member, clip__in=open_clips)
    if within is not None:
        chosen = chosen.filter(at__gte=timezone.now() - within)
    found = chosen.select_related("clip").first()
    if found is not None:
        return found.clip
    return None if within is not None else open_clips.first()


def submit(
    member: Member,
    clip: Clip,
    chunks: Iterable[bytes],
    *,
    consent: bool = False,
    declared_seconds: float | None = None,
    channel: str = Channel.WEB,
    hint: str | None = None,
    media_id: str = "",
) -> Reading:
    """Check, recognise, score and store one reading, and put it in the queue. A voice
    message (``media_id``) makes one reading however often its task runs."""
    if media_id:
        # The member's own: a media id of another member's reading is not theirs to claim.
        done = Reading.objects.filter(wechat_media_id=media_id, member=member).first()
        if done is not None:
            return done
    checked = check(chunks, declared_seconds)
    stored = checked.path
    saved = ""
    try:
        stored, fmt = audio.transcode(checked.path, checked.fmt)
        transcript = (hint or "").strip() or _recognise(stored, fmt, hint)
        transcript = (transcript or "").strip()[:5000]
        result = scoring.compare(clip.passage, transcript) if transcript else None
        now = timezone.now()
        with transaction.atomic():
            reading = Reading(
                member=member, clip=clip, channel=channel, audio_format=fmt,
                duration=round(checked.seconds, 1), transcript=transcript,
                score=result.score if result else None, diff=result.diff if result else [],
                consent=consent, created_at=now, day=timezone.localdate(now),
                wechat_media_id=media_id,
            )  # fmt: skip
            with stored.open("rb") as f:
                reading.audio.save(audio.stored_name(fmt), File(f), save=False)
            saved = reading.audio.name
            reading.save()
            reading.item = moderation.enqueue(
                Kind.READING,
                title=clip.title,
                text=transcript or CHECKIN_TEXT,
                member=member,
                source=Source.WECHAT if channel == Channel.WECHAT else Source.READER,
            )
            reading.save(update_fields=["item"])
            points.award(member, CHECKIN, f"day:{reading.day.isoformat()}", at=now)
            events.record(
                "reading", member=member, key=f"reading:{reading.pk}", value=reading.score, at=now
            )
    except BaseException:
        # The rolled-back reading's recording must not stay behind on disk.
        if saved:
            Reading._meta.get_field("audio").storage.delete(saved)
        raise
    finally:
        checked.path.unlink(missing_ok=True)
        stored.unlink(missing_ok=True)
    log.info(
        "readaloud: reading=%s member=%s clip=%s %s %.1fs score=%s",
        reading.pk, member.pk, clip.pk, fmt, checked.seconds, reading.score,
    )  # fmt: skip
    return reading


def remember_wechat_recording(
    member: Member, clip: Clip, server_id: str, *, seconds: float, consent: bool
) -> tuple[WeChatRecording, bool]:
    """A recording made with the JS-SDK (its serverId from uploadVoice), and whether it is
    new: the same serverId sent again is the same recording. tasks.start_wechat_recording
    fetches a new one from WeChat."""
    with transaction.atomic():
        recording, created = WeChatRecording.objects.get_or_create(
            server_id=server_id,
            defaults={
                "member": member, "clip": clip, "consent": consent,
                "seconds": max(0.0, min(seconds, 24 * 3600.0)),
            },
        )  # fmt: skip
        if recording.member_id != member.pk or recording.clip_id != clip.pk:
            raise ReadingError("这段录音已经提交过了，请重新录音。")
    log.info(
        "readaloud: WeChat recording %s (member=%s clip=%s) %s",
        recording.pk, member.pk, clip.pk, "new" if created else "sent again",
    )  # fmt: skip
    return recording, created


def finish_wechat_recording(recording: WeChatRecording, data: bytes) -> str:
    """In the task: the fetched recording checked and stored exactly like a voice message."""
    try:
        reading = submit(
            recording.member, recording.clip, [data], consent=recording.consent,
            declared_seconds=recording.seconds, channel=Channel.JSSDK,
            media_id=recording.server_id,
        )  # fmt: skip
    except ReadingError as error:
        wechat_recording_failed(recording.pk, str(error))
        return "refused"
    WeChatRecording.objects.filter(pk=recording.pk).update(
        status=WeChatRecording.Status.DONE, reading=reading, message=""
    )
    return "stored"


def wechat_recording_failed(recording_id: int, message: str) -> None:
    WeChatRecording.objects.filter(pk=recording_id, status=WeChatRecording.Status.PENDING).update(
        status=WeChatRecording.Status.FAILED, message=message[:200]
    )


def on_reading_decision(item: Item, action: str) -> None:
    """Approved readings earn points once (the shared queue calls this inside its decision)."""
    if action not in (Action.APPROVED, Action.FEATURED):
        return
    reading = Reading.objects.filter(item=item).select_related("member").first()
    if reading is not None:
        points.award(reading.member, APPROVED, f"reading:{reading.pk}")


def set_consent(reading: Reading, consent: bool) -> None:
    Reading.objects.filter(pk=reading.pk).update(consent=consent)


def streak(member: Member, today: date | None = None) -> int:
    """Days in a row with a reading, ending today (or yesterday, while today is still open)."""
    today = today or timezone.localdate()
    days = set(
        Reading.objects.filter(member=member, day__lte=today, day__gte=today - timedelta(400))
        .values_list("day", flat=True)
        .distinct()
    )
    day = today if today in days else today - timedelta(1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(1)
    return count


def prune(now=None) -> int:
    """Delete recordings older than the retention period; the readings and scores stay."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.keep_days())
    old = Reading.objects.filter(created_at__lt=cutoff).exclude(audio="")
    count = 0
    for reading in old.iterator():
        reading.audio.delete(save=False)
        Reading.objects.filter(pk=reading.pk).update(audio="", audio_removed_at=now)
        count += 1
    if count:
        log.info("readaloud: %d recordings past %d days deleted", count, conf.keep_days())
    return count
