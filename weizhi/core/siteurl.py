"""Our own absolute addresses, written back as paths so a page works on whatever host and
port the reader reached it by (``make run PORT=9000``, a tunnel, an intranet name)."""

from urllib.parse import urlsplit

from django.conf import settings

# A loopback address is never right for a reader on a phone; a path always is.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})  # noqa: S104 - a name, not a bind


def as_local(url: str) -> str:
    """The path of ``url`` when it points at this site (SITE_URL's origin or a loopback
    host); any other address unchanged."""
    if not url.startswith(("http://", "https://")):
        return url
    parts = urlsplit(url)
    ours = urlsplit(settings.SITE_URL)
    if (parts.scheme, parts.netloc) != (ours.scheme, ours.netloc) and (
        parts.hostname not in LOOPBACK
    ):
        return url
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path
