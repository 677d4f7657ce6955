"""A fake of WeChat's server API for tests and the demo; see core.py."""

from .core import ERRMSG, FakeWeChat
from .server import serve
from .wire import Refusal, Request

__all__ = ["ERRMSG", "FakeWeChat", "Refusal", "Request", "serve"]
