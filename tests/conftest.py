import pytest
from django.core.cache import cache

from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def home(db):
    return factories.site_home()
