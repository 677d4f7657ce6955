"""动笔走心 on a phone inside WeChat: a member picks two photos of their notes (one a JPEG
from a phone with its GPS position in EXIF), writes a reflection and sends it; the note
waits; once approved it shows in the gallery, a photo opens in the lightbox and swipes to
the next, and a like counts once."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.notes_support import GPS_IFD, jpeg
from tests.test_audience_support import member, tree
from weizhi.audience import services as audience
from weizhi.moderation import services as moderation
from weizhi.notes.models import Note

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = "p4ssw0rd-测试"


@pytest.fixture
def photos(tmp_path):
    first = tmp_path / "IMG_0001.jpg"
    first.write_bytes(jpeg(size=(1600, 1200), orientation=6, gps=True).read())
    second = tmp_path / "IMG_0002.jpg"
    second.write_bytes(jpeg(size=(1200, 1600), color=(235, 240, 250)).read())
    return [str(first), str(second)]


@pytest.fixture
def cleanup():
    yield
    for note in Note.objects.all():
        for picture in note.images.all():
            picture.file.delete(save=False)


def test_a_member_sends_a_note_from_a_phone_and_it_reaches_the_gallery(
    live_server, phone, photos, cleanup
):
    base = live_server.url
    person = member(tree()["first"], "1001", name="王芳")
    audience.set_member_password(person, PASSWORD)
    phone.goto(base + "/notes/write/")
    phone.wait_for_url("**/me/login/**")
    phone.get_by_label("工号").fill("1001")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(base + "/notes/write/")

    phone.locator("input[type=file][name=photos]").set_input_files(photos)
    phone.get_by_text("IMG_0002.jpg").wait_for()  # the form lists what was picked
    phone.get_by_label("学习感悟").fill("抄写党章总纲，体会到先锋队就要走在前面、干在实处。")
    assert phone.locator(".note-count").inner_text() == "25"
    screenshot(phone, "notes-write")
    phone.get_by_role("button", name="提交笔记").click()
    phone.wait_for_url(base + "/notes/mine/")
    assert "待审" in phone.locator(".note-status").first.inner_text()
    screenshot(phone, "notes-mine")

    note = Note.objects.get()
    assert note.images.count() == 2
    with note.images.first().file.open("rb") as handle:
        kept = Image.open(io.BytesIO(handle.read()))
    assert kept.size == (1200, 1600) and not kept.getexif().get_ifd(GPS_IFD)
    moderation.approve(note.item, None)

    phone.goto(base + "/notes/")
    card = phone.locator(f"#n{note.pk}")
    card.locator("a.note-photo").first.click()
    box = phone.locator(".note-lightbox")
    box.wait_for(state="visible")
    assert box.locator(".note-lb-count").inner_text() == "1 / 2"
    phone.locator(".note-lb-next").click()
    expect(box.locator(".note-lb-count")).to_have_text("2 / 2")
    width = phone.evaluate("document.querySelector('.note-lightbox img').naturalWidth")
    assert width > 0  # the photo really loaded
    screenshot(phone, "notes-lightbox")
    phone.locator(".note-lb-close").click()
    box.wait_for(state="hidden")

    card.get_by_role("button", name="点赞").click()
    phone.wait_for_load_state()
    assert phone.locator(f"#n{note.pk} .note-likes").inner_text() == "1"
    phone.locator(f"#n{note.pk}").get_by_role("button", name="点赞").click()
    phone.wait_for_load_state()
    assert phone.locator(f"#n{note.pk} .note-likes").inner_text() == "1"
    screenshot(phone, "notes-gallery")
