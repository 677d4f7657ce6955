import time
from types import SimpleNamespace

import pytest

# Helper modules shared by many test files: let pytest rewrite their asserts too.
pytest.register_assert_rewrite("tests.fake_wechat_server", "tests.wechat_sender")

from django.core.cache import cache  # noqa: E402

from tests import factories  # noqa: E402
from tests.wechat_sender import account_on_fake, fake_wechat  # noqa: E402, F401 (fixtures)
from weizhi.analytics import counters  # noqa: E402
from weizhi.core import ratelimit  # noqa: E402
from weizhi.wechat.account import forget_account  # noqa: E402
from weizhi.wechat.callback.rules import forget_rules  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_cache_and_counters():
    # Page ids are reused after a test's rollback: counts buffered by one test must not
    # land on another test's page.
    counters.reset_counter()
    cache.clear()
    ratelimit.forget_full()
    # Rules and account settings are held per process; a rolled-back test leaves no trace
    # in the generation that would tell the next test to reload them.
    forget_rules()
    forget_account()
    yield
    cache.clear()
    counters.reset_counter()


@pytest.fixture(autouse=True)
def _rate_windows_start_with_the_test(monkeypatch):
    """Rate-limit windows are aligned to the epoch: a test that makes 31 requests against a
    per-minute limit must not straddle a minute's end, so the limiter's clock starts each test
    just after a day's start (every window's start) and runs on from there."""
    real = time.time
    offset = (real() // 86400 + 1) * 86400 + 1 - real()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: real() + offset))


@pytest.fixture
def home(db):
    return factories.site_home()
