"""The read journal: reads a web process answered survive its crash, and are written once."""

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from tests import factories
from weizhi.analytics import counters
from weizhi.analytics.counters import (
    LocalCounter,
    forget_removed_journals,
    replay_journals,
    write_batch,
)
from weizhi.analytics.journal import JournalFile
from weizhi.analytics.models import AppliedJournal, DailyPageStats, PageStats

ROOT = Path(__file__).resolve().parent.parent
# A web process that counts reads and is killed before it flushes them.
READ_AND_DIE = """
import os, signal, sys
from datetime import date
from pathlib import Path
import django
django.setup()
from weizhi.analytics.counters import LocalCounter
page, reads, directory = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
counter = LocalCounter(3600, background=False, journal_dir=directory)
for i in range(reads):
    counter.record(page, f"{i % 3:032x}", date.today())
os.kill(os.getpid(), signal.SIGKILL)
"""


def killed_after_reading(page_id: int, reads: int, directory: Path) -> None:
    # The child only writes its journal: embedded settings in a directory of its own do.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="weizhi.settings", WEIZHI_VAR_DIR=str(directory.parent))
    args = [sys.executable, "-c", READ_AND_DIE, str(page_id), str(reads), str(directory)]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert result.returncode == -9, result.stderr.decode()[-2000:]


def test_the_reads_of_a_killed_process_are_written_by_the_next_flush(home, tmp_path):
    page = factories.article()
    journals = tmp_path / "reads"
    killed_after_reading(page.pk, 50, journals)
    assert len(list(journals.glob("*.reads"))) == 1

    LocalCounter(60, background=False, journal_dir=journals).flush()

    row = PageStats.objects.get(page_id=page.pk)
    assert (row.reads, row.visitors) == (50, 3)
    assert DailyPageStats.objects.get(page_id=page.pk).reads == 50
    assert not list(journals.iterdir())


def test_a_journal_whose_process_died_after_writing_it_is_not_counted_twice(home, tmp_path):
    page = factories.article()
    journals = tmp_path / "reads"
    killed_after_reading(page.pk, 20, journals)
    # What a crash between the flush's commit and the journal's removal leaves behind.
    (path,) = journals.glob("*.reads")
    journal = JournalFile.claim(path)
    write_batch(*journal.counts(), journal.name)
    journal.close()
    assert PageStats.objects.get(page_id=page.pk).reads == 20

    assert replay_journals(journals) == 0

    assert PageStats.objects.get(page_id=page.pk).reads == 20
    assert not list(journals.iterdir())


def test_the_names_of_removed_journals_are_forgotten_and_the_others_kept(home, tmp_path):
    page = factories.article()
    journals = tmp_path / "reads"
    live = LocalCounter(60, background=False, journal_dir=journals)
    try:
        live.record(page.pk, None, date.today())
        (path,) = journals.glob("*.reads")
        AppliedJournal.objects.create(name=path.name)
        AppliedJournal.objects.create(name="1-0123456789abcdef.reads")
        assert forget_removed_journals(journals) == 1
        assert list(AppliedJournal.objects.values_list("name", flat=True)) == [path.name]
    finally:
        live.discard()


def test_a_live_process_keeps_its_journal_until_it_has_written_it(home, tmp_path):
    page = factories.article()
    journals = tmp_path / "reads"
    live = LocalCounter(60, background=False, journal_dir=journals)
    other = LocalCounter(60, background=False, journal_dir=journals)
    try:
        for _ in range(5):
            live.record(page.pk, "a" * 32, date.today())
        assert replay_journals(journals) == 0
        other.flush()
        assert not PageStats.objects.filter(page_id=page.pk).exists()
        live.flush()
        assert PageStats.objects.get(page_id=page.pk).reads == 5
        assert not list(journals.iterdir())
    finally:
        live.discard()
        other.discard()


def test_a_read_is_in_the_journal_before_the_counter_returns(home, tmp_path):
    page = factories.article()
    journals = tmp_path / "reads"
    counter = LocalCounter(60, background=False, journal_dir=journals)
    try:
        counter.record(page.pk, "b" * 32, date(2026, 12, 1))
        counter.record(page.pk, None, date(2026, 12, 1))
        (path,) = journals.glob("*.reads")
        ordinal = date(2026, 12, 1).toordinal()
        assert path.read_bytes() == (
            f"{page.pk} {ordinal} 1 {'b' * 32}\n{page.pk} {ordinal} 1 -\n".encode()
        )
    finally:
        counter.discard()


def test_a_torn_last_line_is_skipped(home, tmp_path):
    page = factories.article()
    journals = tmp_path / "reads"
    journals.mkdir()
    ordinal = date.today().toordinal()
    whole = f"{page.pk} {ordinal} 1 -\n"
    (journals / "1-dead.reads").write_bytes((whole * 2 + whole[:5]).encode())
    assert replay_journals(journals) == 2
    assert PageStats.objects.get(page_id=page.pk).reads == 2


def test_health_reports_the_reads_in_every_journal_and_the_age_of_the_oldest(
    client, home, tmp_path, settings
):
    page = factories.article()
    journals = tmp_path / "reads"
    settings.READ_JOURNAL_DIR = journals
    assert client.get("/healthz").json()["counters"]["reads_waiting"] == 0
    killed_after_reading(page.pk, 7, journals)
    # A journal made ten minutes ago by a process that died, with a read and a visitor.
    ordinal = date.today().toordinal()
    made = int(time.time()) - 600
    (journals / f"1-{made}-0123456789abcdef.reads").write_text(
        f"{page.pk} {ordinal} 1 -\n{page.pk} {ordinal} 0 {'c' * 32}\n"
    )
    settings.HEALTH_COUNTER_MAX_AGE_SECONDS = 300

    response = client.get("/healthz")

    assert response.status_code == 503
    part = response.json()["counters"]
    assert part["ok"] is False and part["reads_waiting"] == 8
    assert part["oldest_unflushed_seconds"] >= 600
    counters.get_counter().flush()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["counters"]["reads_waiting"] == 0
    assert PageStats.objects.get(page_id=page.pk).reads == 8
