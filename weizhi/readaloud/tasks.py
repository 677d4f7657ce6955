"""The read-aloud's tasks: the periodic pruning, a recording made with the JS-SDK inside
WeChat fetched by its serverId, and a clip's reference audio synthesised."""

import logging

from django.db import transaction

from weizhi.core.taskqueue import task
from weizhi.wechat.api.errors import NETWORK_ERROR, WeChatAPIError
from weizhi.wechat.api.media import get_media

from . import reference, services
from .models import WeChatRecording

log = logging.getLogger(__name__)
FETCH_FAILED = "录音获取失败，请重新录音。"
EXPIRED = "微信已不再保存这段录音（过期或无效），请重新录音。"


@task()
def prune_recordings() -> int:
    return services.prune()


def _fetch_failed(reason: str, recording_id: int, *args, **kwargs) -> None:
    log.error("readaloud: WeChat recording %s not fetched for good: %s", recording_id, reason)
    services.wechat_recording_failed(recording_id, FETCH_FAILED)


@task(retry=True, on_failure=_fetch_failed)
def fetch_wechat_recording(recording_id: int) -> str:
    """Idempotent: a recording already done or failed is left alone, and the reading is
    made once per serverId (services.submit's media_id)."""
    recording = WeChatRecording.objects.filter(pk=recording_id).first()
    if recording is None or recording.status != WeChatRecording.Status.PENDING:
        return "settled"
    try:
        data, _kind = get_media(recording.server_id)
    except WeChatAPIError as error:
        if error.errcode == NETWORK_ERROR:
            raise  # worth the task's retry
        log.warning("readaloud: WeChat recording %s not fetched: %s", recording.pk, error)
        services.wechat_recording_failed(recording.pk, EXPIRED)
        return "expired"
    return services.finish_wechat_recording(recording, data)


@task()
def synthesise_reference(clip_id: int) -> str:
    return reference.synthesise(clip_id)


# The two ways work reaches these tasks, here so that services and reference, below the
# tasks, never import them (tests/test_import_graph.py: no cycles).


def start_wechat_recording(member, clip, server_id: str, *, seconds: float, consent: bool):
    """Remember a JS-SDK recording and fetch a new one from WeChat once this commits."""
    with transaction.atomic():
        recording, created = services.remember_wechat_recording(
            member, clip, server_id, seconds=seconds, consent=consent
        )
        if created:
            transaction.on_commit(lambda: fetch_wechat_recording.enqueue(recording.pk))
    return recording


def request_synthesis(clip) -> None:
    """Mark the clip as generating and start the task once this transaction commits."""
    with transaction.atomic():
        reference.mark_generating(clip)
        transaction.on_commit(lambda: synthesise_reference.enqueue(clip.pk))
    log.info("readaloud: reference audio for clip %s requested", clip.pk)
