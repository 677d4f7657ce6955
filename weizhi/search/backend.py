# Placeholder until the segmenting backend lands: the stock database backend.
from wagtail.search.backends.database import SearchBackend  # noqa: F401
