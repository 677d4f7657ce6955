"""Processes that die with their parent (Linux's parent-death signal).

`manage.py serve` starts granian, a task worker and the scheduler; should serve die without
stopping them (SIGKILL, the OOM killer), they would live on holding the port and working the
queue, and the next start could not bind or would double the workers. Each child asks the
kernel for a signal when its parent dies, which works however the parent dies.
"""

import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(sig: signal.Signals, parent: int | None = None) -> Callable[[], None]:
    """A function that makes the calling process receive `sig` when its parent dies: for a
    child between fork and exec (Popen's preexec_fn), or for a process about itself. `parent`
    is the pid the parent has now (by default, the caller's own pid, for a child it forks)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before any fork
    expected = os.getpid() if parent is None else parent

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig))
        # A parent that died before prctl sends nothing: act as if it had.
        if os.getppid() != expected:
            os.kill(os.getpid(), sig)

    return arm


def forked_children_die_with_us(sig: signal.Signals, every: float = 1.0) -> None:
    """Every child this process forks from now on (multiprocessing's workers) gets `sig`
    when this process dies. The kernel clears the setting in a forked child, so it is armed
    again after each fork.

    A granian worker that gets the signal while it is still loading the application loses it
    (granian listens for it only once its runtime runs) and then serves on, parentless,
    holding the port: killing granian 1 s after its start left both workers running. So each
    child also watches from a thread of its own and, once its parent is gone, sends itself
    `sig` again `every` seconds until it has stopped."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    forker = [os.getpid()]

    def before() -> None:
        forker[0] = os.getpid()

    def after_in_child() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig))
        if os.getppid() != forker[0]:
            os.kill(os.getpid(), sig)
        threading.Thread(
            target=_signal_once_orphaned, args=(forker[0], sig, every), name="lifeline", daemon=True
        ).start()

    os.register_at_fork(before=before, after_in_child=after_in_child)


def _signal_once_orphaned(parent: int, sig: signal.Signals, every: float) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    while True:
        os.kill(os.getpid(), sig)
        time.sleep(every)
