"""听读悟's 生成示范朗读: where READALOUD_TTS_COMMAND names an offline synthesiser, editors
make a clip's reference audio from its passage in a task. Run with the real espeak-ng (its
Mandarin voice), which ``make browser-deps`` installs from Debian; a synthesiser that fails
or writes no audio leaves the old reference audio and a Chinese note; unset, no button."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.base import user_in
from tests.quiz_support import signed_in
from tests.readaloud_support import clip, wav
from tests.test_audience_support import fast_passwords, secretary_of, tree  # noqa: F401
from weizhi.readaloud import audio, reference
from weizhi.readaloud.models import Clip

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
ESPEAK = "espeak-ng -v cmn -w {out} -f {textfile}"
PYTHON = shlex.quote(sys.executable)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def espeak(settings, media):
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (make browser-deps installs it)")
    settings.READALOUD_TTS_COMMAND = ESPEAK


def generate(client, capture, c):
    with capture(execute=True):
        response = client.post(reverse("readaloud_reference", args=[c.pk]))
    assert response.status_code == 302
    c.refresh_from_db()
    return c


def test_an_editor_generates_the_reference_audio_with_espeak(
    client, espeak, django_capture_on_commit_callbacks
):
    c = clip(passage="严守党的纪律，保守党的秘密。")
    client.force_login(user_in("编辑", "editor"))
    edit = client.get(reverse("readaloud_clip:edit", args=[c.pk])).content.decode()
    page = reverse("readaloud_reference", args=[c.pk])
    assert "生成示范朗读" in edit and page in edit
    assert "严守党的纪律" in client.get(page).content.decode()
    c = generate(client, django_capture_on_commit_callbacks, c)
    assert c.reference_note.startswith("由语音合成生成")
    path = c.reference_audio.path
    fmt = c.reference_audio.name.rsplit(".", 1)[1]
    with open(path, "rb") as f:
        assert audio.sniff(f.read(64)) == fmt
    if fmt == "wav":  # without ffmpeg the synthesiser's WAV is kept as it is
        seconds = audio.seconds(Path(path), fmt)
        assert seconds is not None and 1.0 < seconds < 30
    signed_in(client, tree()["first"], "1001")
    member_page = client.get(reverse("readaloud:clip", args=[c.pk])).content.decode()
    assert "示范朗读" in member_page and c.reference_audio.url in member_page


def test_generating_again_replaces_the_old_file(
    client, espeak, media, django_capture_on_commit_callbacks
):
    c = clip()
    client.force_login(user_in("编辑", "editor"))
    first = generate(client, django_capture_on_commit_callbacks, c).reference_audio.name
    second = generate(client, django_capture_on_commit_callbacks, c).reference_audio.name
    assert first != second
    kept = [p.name for p in (media / "readaloud" / "reference").iterdir()]
    assert kept == [second.rsplit("/", 1)[1]]


def test_a_synthesiser_that_fails_keeps_the_old_audio_and_says_why(
    client, media, settings, django_capture_on_commit_callbacks
):
    settings.READALOUD_TTS_COMMAND = f'{PYTHON} -c "import sys; sys.exit(4)" {{out}}'
    c = clip()
    c.reference_audio.save("old.wav", wav(), save=True)
    client.force_login(user_in("编辑", "editor"))
    c = generate(client, django_capture_on_commit_callbacks, c)
    assert c.reference_note == reference.FAILED and c.reference_audio.name.endswith("old.wav")
    assert (
        reference.FAILED in client.get(reverse("readaloud_reference", args=[c.pk])).content.decode()
    )


def test_a_synthesiser_that_writes_no_audio_is_not_stored(
    client, media, settings, django_capture_on_commit_callbacks
):
    writes_text = "import sys; open(sys.argv[1], 'w').write('<html>')"
    settings.READALOUD_TTS_COMMAND = f'{PYTHON} -c "{writes_text}" {{out}}'
    c = clip()
    client.force_login(user_in("编辑", "editor"))
    c = generate(client, django_capture_on_commit_callbacks, c)
    assert c.reference_note == reference.NO_AUDIO and not c.reference_audio


def test_without_a_synthesiser_there_is_no_button_and_nothing_runs(client, media, settings):
    settings.READALOUD_TTS_COMMAND = ""
    c = clip()
    client.force_login(user_in("编辑", "editor"))
    edit = client.get(reverse("readaloud_clip:edit", args=[c.pk])).content.decode()
    assert "生成示范朗读" not in edit
    assert client.post(reverse("readaloud_reference", args=[c.pk])).status_code == 404
    assert Clip.objects.get(pk=c.pk).reference_note == ""


def test_only_those_who_keep_clips_may_generate(client, espeak):
    c = clip()
    user, _ = secretary_of(tree()["first"])
    client.force_login(user)
    # The admin answers a refusal by sending back to its dashboard with a message.
    assert client.post(reverse("readaloud_reference", args=[c.pk])).status_code in (302, 403)
    client.force_login(user_in("留言管理员", "moderator"))
    assert client.post(reverse("readaloud_reference", args=[c.pk])).status_code in (302, 403)
    assert Clip.objects.get(pk=c.pk).reference_note == ""
