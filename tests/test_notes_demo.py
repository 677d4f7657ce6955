"""The notes demo: pages drawn at load time, sent through the note service by demo members,
approved, featured, waiting and sent back; loading it again adds nothing."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from tests.test_audience_support import member, tree
from weizhi.moderation.models import State
from weizhi.notes.models import Note
from weizhi.points.models import Entry

pytestmark = pytest.mark.django_db


def test_the_demo_makes_notes_in_every_state_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    branch = tree()["first"]
    for n in range(6):
        member(branch, f"D{n:04}", name=f"党员{n}")
    out = io.StringIO()
    call_command("load_demo_notes", stdout=out)
    assert "新增 6 篇" in out.getvalue()
    states = sorted(Note.objects.values_list("item__state", flat=True))
    assert states.count(State.APPROVED) == 4 and State.PENDING in states
    assert Note.objects.filter(item__featured=True).count() == 2
    assert Note.objects.get(item__state=State.REJECTED).item.reason
    assert Entry.objects.filter(action="note_approved").count() == 4
    picture = Note.objects.public().first().images.first()
    with picture.file.open("rb") as handle, Image.open(handle) as page:
        assert page.format == "JPEG" and page.height > page.width
    call_command("load_demo_notes", stdout=io.StringIO())
    assert Note.objects.count() == 6
