"""A fake of WeChat's server API for tests and the demo; see core.py."""

from .core import ERRMSG, FakeWeChat, Refusal, Request
from .server import serve

__all__ = ["ERRMSG", "FakeWeChat", "Refusal", "Request", "serve"]
