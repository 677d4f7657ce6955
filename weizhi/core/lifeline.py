"""Processes that die with their parent (Linux's parent-death signal).

`manage.py serve` starts granian, a task worker and the scheduler; should serve die without
stopping them (SIGKILL, the OOM killer), they would live on holding the port and working the
queue, and the next start could not bind or would double the workers. Each child asks the
kernel for a signal when its parent dies, which works however the parent dies.
"""

import contextlib
import ctypes
import os
import signal
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


def forked_children_die_with_us(sig: signal.Signals) -> None:
    """Every child this process forks from now on (multiprocessing's workers) gets `sig`
    when this process dies. The kernel clears the setting in a forked child, so it is armed
    again after each fork.

    A forked child also starts with SIGTERM and SIGINT at their default action, ending it.
    Otherwise it would inherit granian's handlers, which in a worker that is still loading
    the application do nothing: a stop asked for then (by this death signal, or by granian
    stopping its workers) was lost, and the worker served on once loaded, orphaned or keeping
    a stopping granian waiting for it, holding the port. Once loaded, granian's worker sets
    its own handlers, which stop it gracefully."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    forker = [os.getpid()]

    def before() -> None:
        forker[0] = os.getpid()

    def after_in_child() -> None:
        with contextlib.suppress(ValueError):  # forked from a thread other than the main one
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        prctl(PR_SET_PDEATHSIG, int(sig))
        if os.getppid() != forker[0]:
            os.kill(os.getpid(), sig)

    os.register_at_fork(before=before, after_in_child=after_in_child)
