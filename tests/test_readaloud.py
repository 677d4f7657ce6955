"""听读悟: scoring against the passage, the recogniser seam (none, and an HTTP service faked on
a local port), recordings refused by their bytes, size and length, the shared queue's states,
points, streaks, the gallery's consent, pruning, and the statistics per role."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.base import user_in
from tests.fake_recogniser import FakeRecogniser
from tests.quiz_support import signed_in
from tests.readaloud_support import OATH, clip, wav
from tests.test_audience_support import fast_passwords, member, secretary_of, tree  # noqa: F401
from weizhi.analytics.models import ActivityEvent
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Kind, State
from weizhi.points.models import Entry
from weizhi.readaloud import scoring, services
from weizhi.readaloud.audio import silent_wav
from weizhi.readaloud.models import Clip, Reading
from weizhi.readaloud.viewsets import ClipForm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords", "media")]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.READALOUD_RECOGNISER = "none"
    return settings.MEDIA_ROOT


@pytest.fixture
def recogniser(settings):
    fake = FakeRecogniser(key="k-123")
    settings.READALOUD_RECOGNISER = "http"
    settings.READALOUD_RECOGNISER_URL = fake.url
    settings.READALOUD_RECOGNISER_KEY = "k-123"
    yield fake
    fake.stop()


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def read(client, c, body, **fields):
    return client.post(reverse("readaloud:read", args=[c.pk]), {"audio": body, **fields})


# Scoring


def test_a_perfect_reading_scores_100_whatever_its_punctuation_and_spaces():
    said = OATH.replace("，", " ").replace("。", "")
    result = scoring.compare(OATH, said)
    assert result.score == 100.0
    assert all(mark == "ok" for mark, _ in result.diff)


def test_missed_and_extra_characters_are_marked_in_the_passage():
    result = scoring.compare("遵守党的章程，履行党员义务。", "遵守党章程啊履行党员义务")
    html = scoring.diff_html(result.diff)
    assert '<del class="ra-missed">的</del>' in html
    assert '<ins class="ra-extra">啊</ins>' in html
    assert "，" in html and 0 < result.score < 100


def test_the_marked_passage_is_escaped():
    html = scoring.diff_html(scoring.compare("<b>党</b>", "<script>b党b").diff)
    assert "<b>" not in html and "&lt;b&gt;党&lt;/b&gt;" in html
    assert '<ins class="ra-extra">script</ins>' in html


# Readings from the member pages


def test_without_a_recogniser_a_reading_is_a_check_in_in_the_queue(client):
    branches = tree()
    c = clip()
    person = signed_in(client, branches["first"], "1001")
    response = read(client, c, wav())
    reading = Reading.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "readaloud:reading", args=[reading.pk]
    )
    assert reading.member == person and reading.score is None and reading.duration == 2.0
    assert reading.item.kind == Kind.READING and reading.item.state == State.PENDING
    assert Entry.objects.filter(member=person, action="readaloud_checkin").count() == 1
    event = ActivityEvent.objects.get(kind="reading")
    assert (event.member_id, event.key, event.value) == (person.pk, f"reading:{reading.pk}", None)
    page = client.get(response["Location"]).content.decode()
    assert "打卡成功" in page and "誓词是党员对党的庄严承诺" in page
    audio = client.get(reverse("readaloud:listen", args=[reading.pk]))
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"


def test_the_http_recogniser_gives_the_transcript_and_the_score(client, recogniser):
    branches = tree()
    c = clip(passage="遵守党的章程，履行党员义务。")
    signed_in(client, branches["first"], "1001")
    recogniser.text = "遵守党章程履行党员义务"
    read(client, c, wav())
    reading = Reading.objects.get()
    assert reading.transcript == "遵守党章程履行党员义务" and reading.score == 95.7
    assert ActivityEvent.objects.get(kind="reading").value == 95.7
    sent = recogniser.received[0]
    assert sent["format"] == "wav" and sent["bytes"][:4] == b"RIFF"
    page = client.get(reverse("readaloud:reading", args=[reading.pk])).content.decode()
    assert '<del class="ra-missed">的</del>' in page and "95.7" in page


def test_a_recogniser_that_refuses_leaves_a_check_in_not_an_error(client, recogniser, settings):
    settings.READALOUD_RECOGNISER_KEY = "wrong"
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    recogniser.text = "不应出现"
    assert read(client, c, wav()).status_code == 302
    reading = Reading.objects.get()
    assert reading.score is None and reading.transcript == "" and recogniser.received


# Refused recordings


def test_a_file_that_is_not_audio_is_refused_and_nothing_is_stored(client, media):
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    fake = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 4000)
    fake.name = "reading.webm"
    response = read(client, c, fake)
    assert response.status_code == 400 and "这不是可以识别的录音文件" in response.content.decode()
    assert not Reading.objects.exists() and stored_files(media) == []


def test_a_recording_over_the_length_limit_is_refused(client, media, settings):
    settings.READALOUD_MAX_SECONDS = 10
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    response = read(client, c, wav(11))
    assert response.status_code == 400 and "录音超过 0 分 10 秒的上限" in response.content.decode()
    assert not Reading.objects.exists() and stored_files(media) == []


def test_a_declared_length_counts_where_the_format_carries_none(client, settings):
    settings.READALOUD_MAX_SECONDS = 60
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    body = io.BytesIO(b"\x1a\x45\xdf\xa3" + b"\x00" * 5000)  # a WebM head, no clusters
    body.name = "reading.webm"
    response = read(client, c, body, seconds="7200")
    assert response.status_code == 400 and "上限" in response.content.decode()


def test_a_recording_of_no_length_is_refused_and_earns_no_points(client, media):
    branches = tree()
    c = clip()
    person = signed_in(client, branches["first"], "1001")
    # A WAV header and no samples (0.0 seconds, known from the header), then padding after
    # the data chunk, so the byte minimum passes.
    empty = io.BytesIO(silent_wav(0) + b"\0" * 2000)
    empty.name = "reading.wav"
    response = read(client, c, empty)
    assert response.status_code == 400 and "录音太短" in response.content.decode()
    assert not Reading.objects.exists() and stored_files(media) == []
    assert not Entry.objects.filter(member=person).exists()


def test_a_declared_length_of_no_seconds_is_refused(client, media):
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    body = io.BytesIO(b"ID3" + b"\x00" * 4000)  # mp3: no length in the file but the declared
    body.name = "reading.mp3"
    response = read(client, c, body, seconds="0.4")
    assert response.status_code == 400 and "录音太短" in response.content.decode()
    assert not Reading.objects.exists()


def test_a_file_of_a_few_bytes_is_refused_and_earns_no_points(client, media):
    branches = tree()
    c = clip()
    person = signed_in(client, branches["first"], "1001")
    tiny = io.BytesIO(b"ID3" + b"\x00" * 10)
    tiny.name = "reading.mp3"
    response = read(client, c, tiny)
    assert response.status_code == 400 and "录音文件太小" in response.content.decode()
    assert not Reading.objects.exists() and stored_files(media) == []
    assert not Entry.objects.filter(member=person).exists()


def test_a_recording_over_the_size_limit_is_refused_with_json_for_the_recorder(client, settings):
    settings.READALOUD_MAX_MB = 1
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    response = client.post(
        reverse("readaloud:read", args=[c.pk]),
        {"audio": wav(70)},  # 8000 Hz 16-bit: 1.1 MB
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 400 and "超过 1 MB" in response.json()["error"]
    assert not Reading.objects.exists()


def test_an_anonymous_reader_is_sent_to_sign_in_and_nothing_is_stored(client):
    c = clip()
    response = read(client, c, wav())
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Reading.objects.exists()


def test_a_reference_recording_is_checked_by_its_bytes():
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = clip()
    data = {"series": c.series.pk, "title": "t", "passage": "p", "order": 0, "enabled": True}
    bad = SimpleUploadedFile("ref.mp3", b"not audio at all", content_type="audio/mpeg")
    form = ClipForm(data, {"reference_audio": bad})
    assert not form.is_valid() and "不是可以识别的音频文件" in str(form.errors)
    good = SimpleUploadedFile("ref.wav", wav().read(), content_type="audio/wav")
    assert ClipForm(data, {"reference_audio": good}).is_valid()


def test_a_reference_recording_is_stored_under_a_name_of_its_real_format(media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = clip()
    data = {"series": c.series.pk, "title": "t", "passage": "p", "order": 0, "enabled": True}
    # A WAV head on a page: served from /media/ under its own name it would be text/html.
    page = wav().read() + b"<script>alert(1)</script>"
    upload = SimpleUploadedFile("x.html", page, content_type="text/html")
    form = ClipForm(data, {"reference_audio": upload}, instance=c)
    assert form.is_valid(), form.errors
    name = form.save().reference_audio.name
    assert re.fullmatch(r"readaloud/reference/[0-9a-f]{32}\.wav", name), name
    assert [p.suffix for p in stored_files(media)] == [".wav"]


# The queue, points, the gallery


def test_decisions_in_the_queue_reach_the_reader_points_and_the_gallery(client):
    branches = tree()
    c = clip()
    editor = user_in("留言管理员", "moderator")
    person = signed_in(client, branches["first"], "1001")
    read(client, c, wav(), consent="on")
    reading = Reading.objects.get()
    assert not Reading.objects.gallery().exists()
    moderation.approve(reading.item, editor)
    assert Entry.objects.filter(member=person, action="readaloud_approved").count() == 1
    moderation.set_featured(reading.item, editor, True)
    assert Entry.objects.filter(member=person, action="readaloud_approved").count() == 1
    assert "优秀" in client.get(reverse("readaloud:mine")).content.decode()
    client.logout()
    signed_in(client, branches["third"], "3001", name="赵六")
    gallery = client.get(reverse("readaloud:gallery")).content.decode()
    assert reverse("readaloud:listen", args=[reading.pk]) in gallery and "王芳" in gallery
    assert client.get(reverse("readaloud:listen", args=[reading.pk])).status_code == 200


def test_a_featured_reading_without_consent_stays_out_of_the_gallery(client):
    branches = tree()
    c = clip()
    editor = user_in("留言管理员", "moderator")
    signed_in(client, branches["first"], "1001")
    read(client, c, wav())
    reading = Reading.objects.get()
    moderation.set_featured(reading.item, editor, True)
    client.logout()
    signed_in(client, branches["third"], "3001", name="赵六")
    assert "王芳" not in client.get(reverse("readaloud:gallery")).content.decode()
    assert client.get(reverse("readaloud:listen", args=[reading.pk])).status_code == 404
    assert client.get(reverse("readaloud:reading", args=[reading.pk])).status_code == 404


def test_a_rejected_reading_shows_its_reason_to_the_reader(client):
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    read(client, c, wav())
    reading = Reading.objects.get()
    with pytest.raises(moderation.ModerationError):
        moderation.reject(reading.item, user_in("编辑", "editor"), "")
    moderation.reject(reading.item, user_in("留言管理员", "moderator"), "录音没有声音")
    page = client.get(reverse("readaloud:reading", args=[reading.pk])).content.decode()
    assert "退回" in page and "录音没有声音" in page


def test_editors_listen_and_decide_in_the_admin_and_a_secretary_elsewhere_sees_nothing(client):
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    read(client, c, wav())
    reading = Reading.objects.get()
    url = reverse("readaloud_reading", args=[reading.pk])
    client.force_login(user_in("留言管理员", "moderator"))
    assert "收听朗读" in client.get(url).content.decode()
    client.post(url, {"action": "feature"})
    reading.item.refresh_from_db()
    assert reading.item.state == State.APPROVED and reading.item.featured
    assert moderation.admin_link(reading.item) == url
    item_page = client.get(reverse("moderation_item", args=[reading.item.pk])).content.decode()
    assert url in item_page
    outsider, _ = secretary_of(branches["third"], "sec3")
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("readaloud:listen", args=[reading.pk])).status_code == 404
    insider, _ = secretary_of(branches["first"], "sec1")
    client.force_login(insider)
    page = client.get(url)
    assert page.status_code == 200 and 'value="approve"' not in page.content.decode()
    client.post(url, {"action": "approve"})  # refused: Wagtail turns the 403 into a redirect
    reading.item.refresh_from_db()
    assert reading.item.featured and reading.item.events.count() == 3  # no new decision


# Streaks and pruning


def test_the_streak_counts_days_in_a_row_up_to_today_or_yesterday():
    branches = tree()
    person = member(branches["first"], "1001")
    c = clip()
    today = timezone.localdate()
    for back in (1, 2, 3, 5):
        Reading.objects.create(member=person, clip=c, day=today - timedelta(days=back))
    assert services.streak(person, today) == 3
    Reading.objects.create(member=person, clip=c, day=today)
    assert services.streak(person, today) == 4
    assert services.streak(person, today + timedelta(days=2)) == 0


def test_old_recordings_are_pruned_and_the_reading_stays(client, settings, media):
    settings.READALOUD_KEEP_DAYS = 30
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    read(client, c, wav())
    reading = Reading.objects.get()
    path = reading.audio.path
    assert services.prune(timezone.now() + timedelta(days=29)) == 0
    assert services.prune(timezone.now() + timedelta(days=31)) == 1
    reading.refresh_from_db()
    assert reading.audio == "" and reading.audio_removed_at is not None
    assert not stored_files(media) and path
    page = client.get(reverse("readaloud:reading", args=[reading.pk])).content.decode()
    assert "已删除" in page


# Statistics per role


@pytest.fixture
def readings_in_two_branches():
    branches = tree()
    c = clip()
    today = timezone.localdate()
    wang = member(branches["first"], "1001", name="王芳")
    member(branches["first"], "1002", name="李四")
    zhao = member(branches["third"], "3001", name="赵六")
    Reading.objects.create(member=wang, clip=c, day=today, score=90)
    Reading.objects.create(member=wang, clip=c, day=today - timedelta(days=1))
    Reading.objects.create(member=zhao, clip=c, day=today, score=70)
    return branches


def row_of(body: str, name: str) -> str:
    return body[body.index(name) :].split("</tr>")[0]


def test_an_editor_sees_every_branch(client, readings_in_two_branches):
    client.force_login(user_in("编辑", "editor"))
    body = client.get(reverse("readaloud_stats")).content.decode()
    first = row_of(body, "第一党支部")
    assert "<td>2</td><td>1</td><td>50.0%</td><td>2</td><td>2</td><td>90.0</td>" in first
    third = row_of(body, "第三党支部")
    assert "<td>1</td><td>1</td><td>100.0%</td><td>1</td><td>1</td><td>70.0</td>" in third
    assert "王芳" not in body


def test_a_secretary_sees_and_exports_only_their_subtree(client, readings_in_two_branches):
    user, _ = secretary_of(readings_in_two_branches["first"])
    client.force_login(user)
    body = client.get(reverse("readaloud_stats")).content.decode()
    assert "第一党支部" in body and "第三党支部" not in body
    export = client.get(reverse("readaloud_stats"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content))["朗读打卡"]
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert any("第一党支部" in n for n in names) and all("第三党支部" not in n for n in names)


@pytest.mark.parametrize("group", ["留言管理员", None])
def test_others_see_no_statistics(client, readings_in_two_branches, group):
    if group:
        client.force_login(user_in(group, "someone"))
    response = client.get(reverse("readaloud_stats"))
    assert response.status_code in (302, 403) and "第一党支部" not in response.content.decode()


def test_the_demo_loads_ten_clips_and_placeholder_readings_once():
    branches = tree()
    for i in range(3):
        member(branches["first"], f"100{i}", name=f"党员{i}")
    call_command("load_demo_readaloud", stdout=io.StringIO())
    call_command("load_demo_readaloud", stdout=io.StringIO())
    assert Clip.objects.count() == 10 and Reading.objects.count() == 3
    oath = Clip.objects.get(title="入党誓词")
    assert oath.passage == OATH
    assert all("占位" in r.item.text for r in Reading.objects.select_related("item"))


def test_editors_keep_clips_in_the_admin_and_a_secretary_cannot(client):
    c = clip()
    client.force_login(user_in("编辑", "editor"))
    listing = client.get(reverse("readaloud_clip:index"))
    assert listing.status_code == 200 and "入党誓词" in listing.content.decode()
    assert client.get(reverse("readaloud_clip:edit", args=[c.pk])).status_code == 200
    user, _ = secretary_of(tree()["first"])
    client.force_login(user)
    assert client.get(reverse("readaloud_clip:edit", args=[c.pk])).status_code in (302, 403)


def test_the_member_pages_cost_the_same_queries_for_many_readings(
    client, django_assert_max_num_queries
):
    branches = tree()
    person = signed_in(client, branches["first"], "1001")
    c = clip()
    editor = user_in("留言管理员", "moderator")
    for back in range(12):
        day = timezone.localdate() - timedelta(days=back)
        reading = Reading.objects.create(member=person, clip=c, day=day)
        reading.item = moderation.enqueue(Kind.READING, text="打卡", member=person)
        reading.save()
        moderation.approve(reading.item, editor)
    for name in ("readaloud:mine", "readaloud:home", "readaloud:gallery"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200


def test_a_recogniser_that_crashes_leaves_a_check_in_not_an_error(client, settings):
    settings.READALOUD_RECOGNISER = "tests.fake_recogniser.BrokenRecogniser"
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    assert read(client, c, wav()).status_code == 302
    assert Reading.objects.get().score is None


def test_a_wav_whose_header_is_cut_short_is_no_server_error(client, media):
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    cut = io.BytesIO(b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0")
    cut.name = "reading.wav"
    response = read(client, c, cut)
    assert response.status_code in (302, 400)


def test_a_recording_is_served_in_byte_ranges_for_phone_players(client):
    branches = tree()
    c = clip()
    signed_in(client, branches["first"], "1001")
    read(client, c, wav())
    url = reverse("readaloud:listen", args=[Reading.objects.get().pk])
    whole = b"".join(client.get(url).streaming_content)
    part = client.get(url, HTTP_RANGE="bytes=0-99")
    assert part.status_code == 206 and b"".join(part.streaming_content) == whole[:100]
    Reading.objects.get().audio.delete(save=False)
    assert client.get(url).status_code == 404
