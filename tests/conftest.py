import pytest
from django.core.cache import cache

from tests import factories
from weizhi.analytics import counters


@pytest.fixture(autouse=True)
def _fresh_cache_and_counters():
    # Page ids are reused after a test's rollback: counts buffered by one test must not
    # land on another test's page.
    counters.reset_counter()
    cache.clear()
    yield
    cache.clear()
    counters.reset_counter()


@pytest.fixture
def home(db):
    return factories.site_home()
