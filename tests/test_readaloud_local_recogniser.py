"""听读悟's local recogniser (READALOUD_RECOGNISER=command): a program on this machine given
the recording's path, its standard output the transcript. A program that fails, hangs or
says nothing leaves the reading a check-in (打卡), with the reason in the log."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.quiz_support import signed_in
from tests.readaloud_support import clip, wav
from tests.test_audience_support import fast_passwords, tree  # noqa: F401
from weizhi.readaloud import localcommand
from weizhi.readaloud.models import Reading

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
FAKE = Path(__file__).with_name("fake_recogniser_command.py")
PASSAGE = "遵守党的章程，履行党员义务。"


@pytest.fixture
def local(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.READALOUD_RECOGNISER = "command"
    settings.READALOUD_RECOGNISER_TIMEOUT = 30

    def use(mode: str) -> None:
        settings.READALOUD_RECOGNISER_COMMAND = (
            f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE))} {shlex.quote(mode)} {{file}}"
        )

    return use


def read_once(client) -> Reading:
    c = clip(passage=PASSAGE)
    signed_in(client, tree()["first"], "1001")
    response = client.post(reverse("readaloud:read", args=[c.pk]), {"audio": wav()})
    assert response.status_code == 302
    return Reading.objects.get()


def test_the_local_recogniser_gives_the_transcript_and_the_score(client, local):
    local("say:遵守党章程 履行党员义务")
    reading = read_once(client)
    assert reading.transcript == "遵守党章程 履行党员义务" and reading.score == 95.7
    page = client.get(reverse("readaloud:reading", args=[reading.pk])).content.decode()
    assert '<del class="ra-missed">的</del>' in page


def test_a_local_recogniser_that_fails_leaves_a_check_in_and_a_log_line(client, local, caplog):
    local("fail")
    with caplog.at_level(logging.WARNING, logger="weizhi.readaloud.recognisers"):
        reading = read_once(client)
    assert reading.score is None and reading.transcript == ""
    assert "exited with 3" in caplog.text and "ggml-base.bin not found" in caplog.text


def test_a_local_recogniser_that_hangs_is_stopped_and_the_reading_kept(
    client, local, settings, caplog
):
    local("hang")
    settings.READALOUD_RECOGNISER_TIMEOUT = 1
    with caplog.at_level(logging.WARNING, logger="weizhi.readaloud.recognisers"):
        reading = read_once(client)
    assert reading.score is None and reading.audio
    assert "timed out after 1 s" in caplog.text


def test_a_recogniser_that_hears_nothing_is_a_check_in(client, local):
    local("silent")
    assert read_once(client).score is None


def test_a_missing_program_is_a_check_in_not_an_error(client, local, settings, caplog):
    settings.READALOUD_RECOGNISER_COMMAND = "/nonexistent/whisper-cli -f {file}"
    with caplog.at_level(logging.WARNING, logger="weizhi.readaloud.recognisers"):
        assert read_once(client).score is None
    assert "/nonexistent/whisper-cli" in caplog.text


def test_placeholders_stay_inside_their_argument():
    # A path or passage with spaces or shell characters is one argument, never a command.
    args = localcommand.arguments(
        "espeak-ng -w {out} {text}", {"out": "/srv/a b.wav", "text": "党章; rm -rf /"}
    )
    assert args == ["espeak-ng", "-w", "/srv/a b.wav", "党章; rm -rf /"]
    with pytest.raises(localcommand.CommandError):
        localcommand.arguments("whisper 'unclosed {file}", {"file": "x"})


def test_a_value_is_never_read_as_an_option_or_as_another_placeholder():
    # A passage opening with "-" would reach espeak-ng as an option (-w writes a file).
    with pytest.raises(localcommand.CommandError):
        localcommand.arguments("espeak-ng -w {out} {text}", {"out": "/t/a.wav", "text": "-w/etc/x"})
    # A placeholder written by the administrator with a dash of its own is theirs.
    assert localcommand.arguments("tool --out={out}", {"out": "/t/a.wav"}) == [
        "tool",
        "--out=/t/a.wav",
    ]
    # A passage that holds "{textfile}" is the passage, not the temporary file's path.
    args = localcommand.arguments(
        "tts {text} {textfile}", {"text": "见{textfile}", "textfile": "/t/p.txt"}
    )
    assert args == ["tts", "见{textfile}", "/t/p.txt"]
