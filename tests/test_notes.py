"""动笔走心: a member sends 1–9 photos of hand-written notes and a reflection; the photos are
taken in by content (not an image, too many pixels, HEIC without a decoder refused with a
Chinese message and nothing stored), stripped of EXIF and GPS, turned upright and shrunk;
the note waits in the shared moderation queue; approved notes show in the gallery (精选
first) with one like per person; approval earns points once."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.notes_support import GPS_IFD, heic, huge_png, jpeg, png
from tests.test_audience_support import fast_passwords, member, tree, user_in  # noqa: F401
from tests.voices_support import sign_in_follower, sign_in_member
from weizhi.analytics.models import ActivityEvent
from weizhi.audience.models import Follower
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Item, Kind, State
from weizhi.notes import images, services
from weizhi.notes.models import Note, NoteImage, NoteLike
from weizhi.points.models import Entry
from weizhi.screen import services as screen

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
REFLECTION = "重温党章，一笔一画抄下来，理解更深了一层。"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    screen.forget()
    yield
    screen.forget()


@pytest.fixture
def branches(db):
    return tree()


@pytest.fixture
def wang(branches):
    return member(branches["first"], "1001", name="王芳")


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def send(client, photos, reflection=REFLECTION):
    return client.post(reverse("notes:submit"), {"reflection": reflection, "photos": photos})


def test_a_stranger_is_sent_to_sign_in(client, wang):
    response = client.get(reverse("notes:submit"))
    assert response.status_code == 302 and "/me/login/" in response.url


def test_the_form_asks_for_photos_from_camera_or_album(client, wang):
    sign_in_member(client, wang)
    page = client.get(reverse("notes:submit")).content.decode()
    assert 'type="file" name="photos" accept="image/*" multiple' in page
    assert "学习感悟" in page


def test_a_member_sends_a_note_and_sees_it_waiting(client, wang, settings):
    sign_in_member(client, wang)
    response = send(client, [jpeg("a.jpg"), png("b.png")])
    assert response.status_code == 302 and response.url == reverse("notes:mine")
    note = Note.objects.get()
    assert note.member == wang and note.branch == wang.branch
    assert note.item.kind == Kind.NOTE and note.item.state == State.PENDING
    assert note.item.text == REFLECTION
    assert [p.position for p in note.images.all()] == [0, 1]
    assert len(stored_files(settings)) == 2
    event = ActivityEvent.objects.get(kind="note")
    assert (event.member_id, event.branch_id, event.key) == (
        wang.pk,
        wang.branch_id,
        f"note:{note.pk}",
    )
    mine = client.get(reverse("notes:mine")).content.decode()
    assert "待审" in mine and REFLECTION in mine


@pytest.mark.parametrize(
    ("photos", "reflection", "message"),
    [
        (lambda: [], REFLECTION, "请至少上传 1 张笔记照片"),
        (lambda: [jpeg(f"{i}.jpg", (60, 40)) for i in range(10)], REFLECTION, "最多上传 9 张"),
        (lambda: [jpeg()], "太短", "请写下您的学习感悟（至少 10 字）"),
        (lambda: [jpeg()], "字" * 1001, "感悟最多 1000 字，现在是 1001 字"),
        (lambda: [SimpleUploadedFile("x.jpg", b"not an image")], REFLECTION, "无法识别为图片"),
        (lambda: [jpeg(), huge_png()], REFLECTION, "像素太多"),
        (lambda: [SimpleUploadedFile("x.jpg", b"")], REFLECTION, "是空文件"),
    ],
)
def test_bad_notes_are_refused_with_a_message_and_nothing_is_kept(
    client, wang, settings, photos, reflection, message
):
    sign_in_member(client, wang)
    response = send(client, photos(), reflection)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Note.objects.exists() and not Item.objects.exists()
    assert not NoteImage.objects.exists() and stored_files(settings) == []


def test_a_photo_that_fails_while_being_stored_leaves_no_file(wang, settings):
    """The third photo passes the header check but cannot be decoded: the two stored before
    it are deleted with the rolled-back note."""
    good = jpeg()
    broken_bytes = bytearray(jpeg(size=(800, 600)).read())
    broken = SimpleUploadedFile("broken.jpg", bytes(broken_bytes[:600]) + b"\0" * 2000)
    try:
        images.check(broken)
    except images.ImageRefused:
        pytest.skip("Pillow refuses this truncation at verify(); the view test covers it")
    with pytest.raises(services.NoteError, match="无法读取"):
        services.submit(wang, REFLECTION, [good, jpeg("b.jpg"), broken])
    assert not Note.objects.exists() and stored_files(settings) == []


def test_exif_and_gps_are_stripped_and_the_photo_is_turned_upright(wang):
    # Orientation 6: the camera was held sideways, the picture must be turned 90° clockwise.
    upload = jpeg(size=(1200, 900), orientation=6, gps=True)
    with Image.open(io.BytesIO(upload.read())) as sent:
        assert sent.getexif().get_ifd(GPS_IFD)  # the GPS really was there
    upload.seek(0)
    note = services.submit(wang, REFLECTION, [upload])
    picture = note.images.get()
    with picture.file.open("rb") as handle:
        data = handle.read()
    with Image.open(io.BytesIO(data)) as kept:
        assert kept.format == "JPEG"
        assert kept.size == (900, 1200) == (picture.width, picture.height)
        exif = kept.getexif()
        assert len(exif) == 0 and not exif.get_ifd(GPS_IFD)
        assert "exif" not in kept.info
        # The dark bar was along the top edge; turned clockwise it is along the right.
        assert kept.convert("L").getpixel((895, 600)) < 80
        assert kept.convert("L").getpixel((5, 600)) > 200
    assert b"TestPhone" not in data and b"Exif" not in data


def test_a_large_photo_is_shrunk_and_a_transparent_one_is_put_on_white(wang):
    note = services.submit(wang, REFLECTION, [jpeg(size=(4000, 3000)), png(mode="RGBA")])
    big, clear = note.images.all()
    assert (big.width, big.height) == (images.MAX_EDGE, images.MAX_EDGE * 3 // 4)
    with clear.file.open("rb") as handle, Image.open(handle) as kept:
        assert kept.mode == "RGB" and kept.getpixel((10, 10))[0] > 100


def test_the_note_form_keeps_every_upload_on_disk(client, wang, monkeypatch):
    """Even a small photo is read from a temporary file (by path, Pillow reading blocks),
    never from an upload held in memory."""
    seen = []
    real = images._source

    def spy(upload):
        seen.append(type(upload).__name__)
        return real(upload)

    monkeypatch.setattr(images, "_source", spy)
    sign_in_member(client, wang)
    assert send(client, [jpeg(size=(40, 30))]).status_code == 302
    assert seen and set(seen) == {"TemporaryUploadedFile"}


MEMORY_PROBE = """
import os, resource, sys
import django
django.setup()
from django.core.files.uploadedfile import TemporaryUploadedFile
from weizhi.notes import images

path = sys.argv[1]
size = os.path.getsize(path)

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

def send():
    upload = TemporaryUploadedFile("a.jpg", "image/jpeg", size, None)
    with open(path, "rb") as source:
        while chunk := source.read(65536):
            upload.write(chunk)
    upload.seek(0)
    images.process(upload)
    upload.close()

before = peak()
send()
one = peak()
for _ in range(4):
    send()
print(size, before, one, peak())
"""


def test_a_12_megapixel_8_mb_photo_is_processed_in_bounded_memory(tmp_path):
    """Measured in a fresh process (peak RSS): decoding at half scale keeps one photo's cost
    near 45 MB where a full decode and its copies take about 100 MB, and five photos in a row
    cost no more than one."""
    import os
    import subprocess
    import sys

    big = tmp_path / "big.jpg"
    noise = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    noise.save(big, "JPEG", quality=80)
    del noise
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PYTHONPATH=str(root), DJANGO_SETTINGS_MODULE="weizhi.settings")  # no database
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(big)],
        env=env, capture_output=True, text=True, check=True, timeout=300,
    ).stdout.split()  # fmt: skip
    size, before, one, five = (int(n) for n in out[-4:])
    assert size > 7_000_000  # an 8 MB photo from a phone
    assert one - before < 75, f"one photo raised the peak by {one - before} MB"
    assert five - one < 10, f"five photos in a row raised the peak by {five - one} MB more"


def test_approving_awards_points_once_and_the_member_sees_the_status(client, wang):
    sign_in_member(client, wang)
    send(client, [jpeg()])
    note = Note.objects.get()
    editor = user_in("编辑", "editor")
    moderation.approve(note.item, editor)
    moderation.approve(note.item, editor)
    entries = Entry.objects.filter(member=wang, action=services.POINTS_ACTION)
    assert entries.count() == 1 and entries.get().points == 5
    assert "通过" in client.get(reverse("notes:mine")).content.decode()
    moderation.set_featured(note.item, editor, True)
    assert "精选" in client.get(reverse("notes:mine")).content.decode()


def test_a_sent_back_note_shows_the_reason_and_earns_nothing(client, wang):
    sign_in_member(client, wang)
    send(client, [jpeg()])
    note = Note.objects.get()
    moderation.reject(note.item, user_in("留言管理员", "mod"), "照片太模糊，请重拍")
    page = client.get(reverse("notes:mine")).content.decode()
    assert "退回" in page and "照片太模糊，请重拍" in page
    assert not Entry.objects.filter(action=services.POINTS_ACTION).exists()


def test_a_member_sees_only_their_own_notes(client, wang, branches):
    li = member(branches["second"], "1002", name="李明")
    services.submit(li, "李明的感悟，写得很认真很认真。", [jpeg()])
    sign_in_member(client, wang)
    page = client.get(reverse("notes:mine")).content.decode()
    assert "李明的感悟" not in page and "还没有交过" in page


def test_the_gallery_shows_approved_notes_featured_first(client, wang, branches):
    editor = user_in("编辑", "editor")
    li = member(branches["second"], "1002", name="李明")
    waiting = services.submit(wang, "还在等审核的感悟内容。。。", [jpeg()])
    sent_back = services.submit(wang, "被退回的感悟内容。。。。。", [jpeg()])
    plain = services.submit(wang, "王芳通过的感悟内容。。。。", [jpeg()])
    best = services.submit(li, "李明精选的感悟内容。。。。", [jpeg(), jpeg()])
    moderation.reject(sent_back.item, editor, "不合适")
    moderation.approve(plain.item, editor)
    moderation.approve(best.item, editor)
    moderation.set_featured(best.item, editor, True)
    page = client.get(reverse("notes:gallery")).content.decode()
    assert "还在等审核" not in page and "被退回" not in page
    assert page.index("李明精选") < page.index("王芳通过")
    assert "note-lightbox" in page and page.count('class="note-photo"') == 3
    assert waiting.item.state == State.PENDING


def test_one_like_per_member_and_per_browser(client, wang):
    editor = user_in("编辑", "editor")
    note = services.submit(wang, REFLECTION, [jpeg()])
    like = reverse("notes:like", args=[note.pk])
    assert client.post(like).status_code == 302  # not approved yet: refused, nothing counted
    assert Note.objects.get().likes == 0
    moderation.approve(note.item, editor)
    client.post(like)
    client.post(like)  # the same browser again
    assert Note.objects.get().likes == 1
    assert "已赞" in client.get(reverse("notes:gallery")).content.decode()
    sign_in_member(client, wang)
    client.post(like)
    client.post(like)
    follower = Follower.objects.create(openid="o-notes")
    other = client.__class__()
    sign_in_follower(other, follower)
    other.post(like)
    assert Note.objects.get().likes == 3
    assert sorted(k[0] for k in NoteLike.objects.values_list("liker", flat=True)) == [
        "b",
        "f",
        "m",
    ]


def test_notes_are_rate_limited_per_member(client, wang):
    sign_in_member(client, wang)
    for _ in range(5):
        assert send(client, [jpeg(size=(60, 40))]).status_code == 302
    response = send(client, [jpeg(size=(60, 40))])
    assert response.status_code == 429 and "提交太频繁" in response.content.decode()
    assert Note.objects.count() == 5


def test_a_flagged_reflection_is_marked_for_the_moderators(wang):
    from weizhi.screen.models import Category, Lexicon, Term

    lexicon = Lexicon.objects.create(name="词库")
    Term.objects.create(
        lexicon=lexicon, text="代开发票", category=Category.objects.create(name="广告")
    )
    note = services.submit(wang, "有人在群里说代 开 发 票，这个要警惕。", [jpeg()])
    assert note.item.flagged


def test_the_queue_links_a_note_to_its_photos(wang):
    note = services.submit(wang, REFLECTION, [jpeg()])
    assert moderation.admin_link(note.item) == reverse("notes_admin") + f"#n{note.pk}"


def test_heic_is_refused_with_advice_where_no_decoder_is_installed(client, wang, monkeypatch):
    monkeypatch.setattr(images, "_heif", False)  # as on a server without pillow_heif
    sign_in_member(client, wang)
    response = send(client, [heic()])
    assert response.status_code == 400
    assert "HEIC 格式" in response.content.decode() and "兼容性最佳" in response.content.decode()
    assert not Note.objects.exists()


def test_an_iphone_heic_photo_is_taken_as_a_jpeg_where_a_decoder_is_installed(wang):
    if not images.heif_available():
        pytest.skip("pillow_heif is not installed here")
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 10, 10)).save(out, "HEIF")
    upload = SimpleUploadedFile("IMG_0002.HEIC", out.getvalue(), content_type="image/heic")
    note = services.submit(wang, REFLECTION, [upload])
    with note.images.get().file.open("rb") as handle, Image.open(handle) as kept:
        assert kept.format == "JPEG" and kept.size == (640, 480)
