"""The pooled CSPRNG and the generations' max_age: pure Python, real files, a real fork."""

import os
import time

from weizhi.wechat.protocol.randomness import RandomPool


def test_bytes_are_handed_out_once_across_page_refills():
    pool = RandomPool(page=64)
    taken = [pool.take(16) for _ in range(40)]  # ten pages
    assert all(len(b) == 16 for b in taken)
    assert len(set(taken)) == len(taken)


def test_a_request_larger_than_a_page_is_served_whole():
    assert len(RandomPool(page=32).take(100)) == 100


def test_below_stays_in_range_and_covers_it():
    pool = RandomPool()
    seen = {pool.below(10) for _ in range(500)}
    assert seen == set(range(10))


def test_a_forked_child_never_reuses_its_parents_page():
    pool = RandomPool()
    pool.take(8)  # the parent now holds a page with unused bytes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, pool.take(16))
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 16)
    assert child != pool.take(16)


def test_a_generation_read_within_max_age_is_not_read_again(settings, tmp_path):
    from weizhi.core.generation import Generation

    settings.VAR_DIR = tmp_path
    settings.REDIS_URL = ""
    generation = Generation("test-held")
    first = generation.current(max_age=0.2)
    stamp = time.time_ns() + 10**9
    path = generation.path()
    open(path, "a").close()
    os.utime(path, ns=(stamp, stamp))  # another process's bump
    assert generation.current(max_age=0.2) == first  # within max_age: no stat()
    assert generation.current() != first  # without it, the file is read
    generation.bump()  # this process's own bump is seen at once
    assert generation.current(max_age=60) != first
