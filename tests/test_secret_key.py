"""The embedded site's secret key, made on first start: every process must end up with the same
one. Granian starts its workers at once, and each imports the settings; two that both found no
key file used to write two different keys, so a session, a CSRF token or a survey's person
token made by one worker was foreign to the next (a person could answer a survey twice)."""

import multiprocessing
import os
from pathlib import Path

PROCESSES, ROUNDS = 8, 60


def _race(base: str, start, out) -> None:
    """One process: for each round, wait for every other, then read or make the key."""
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):  # embedded mode makes the key
        os.environ.pop(name, None)
    import weizhi.settings as settings_module

    keys = []
    for n in range(ROUNDS):
        settings_module.VAR_DIR = Path(base) / str(n)
        start.wait()
        keys.append(settings_module._secret_key())
    out.put(keys)


def test_processes_starting_together_all_read_the_one_key_they_made(tmp_path):
    for n in range(ROUNDS):
        (tmp_path / str(n)).mkdir()
    spawn = multiprocessing.get_context("spawn")
    start, out = spawn.Barrier(PROCESSES), spawn.Queue()
    workers = [
        spawn.Process(target=_race, args=(str(tmp_path), start, out)) for _ in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    seen = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    for n in range(ROUNDS):
        kept = (tmp_path / str(n) / "secret_key").read_text().strip()
        assert len(kept) >= 50
        assert {keys[n] for keys in seen} == {kept}, f"round {n}"
        assert (tmp_path / str(n) / "secret_key").stat().st_mode & 0o777 == 0o600
        # Nothing left behind but the key itself.
        assert [p.name for p in (tmp_path / str(n)).iterdir()] == ["secret_key"]
