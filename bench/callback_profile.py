"""weizhi's WSGI application under cProfile, for `bench/callback.py --profile`.

cProfile watches one thread, so each granian thread gets its own profiler, switched on only
while it handles a request. Granian's workers leave through os._exit() (no atexit), so the
stats are written every DUMP_EVERY requests to $BENCH_PROFILE_DIR/profile-<pid>-<thread>.prof.
"""

import cProfile
import os
import threading

from weizhi.wsgi import application as weizhi_application

DUMP_EVERY = 50
_local = threading.local()


def application(environ, start_response):
    profiler = getattr(_local, "profiler", None)
    if profiler is None:
        profiler = _local.profiler = cProfile.Profile()
        _local.calls = 0
    profiler.enable()
    try:
        # The body is read here too, so the whole request is inside the profile.
        return list(weizhi_application(environ, start_response))
    finally:
        profiler.disable()
        _local.calls += 1
        if _local.calls % DUMP_EVERY == 0:
            name = f"profile-{os.getpid()}-{threading.get_ident()}.prof"
            profiler.dump_stats(os.path.join(os.environ["BENCH_PROFILE_DIR"], name))
