"""WeChat's side of a callback: build a follower's message, sign and seal it as WeChat does,
and open the reply. The simulator, the benchmark and the tests use it to talk to the real
callback URL exactly like WeChat's servers would."""

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .codec import Mode, new_nonce
from .crypto import MessageCrypto
from .errors import BadParameter
from .parsing import FieldValue, parse_fields
from .replies import cdata
from .signature import callback_signature, msg_signature, verify_msg_signature


def message_xml(fields: Mapping[str, str | int]) -> str:
    """A flat inbound message; numbers stay bare, text goes into CDATA, as WeChat writes."""
    parts = []
    for tag, value in fields.items():
        text = str(value) if isinstance(value, int) else cdata(value)
        parts.append(f"<{tag}>{text}</{tag}>")
    return "<xml>" + "".join(parts) + "</xml>"


def new_msg_id() -> str:
    return str(secrets.randbelow(9 * 10**18) + 10**18)


@dataclass(frozen=True)
class Sender:
    token: str
    mode: Mode = Mode.PLAIN
    crypto: MessageCrypto | None = None
    clock: Callable[[], float] = time.time

    def seal(self, xml: str, *, nonce: str | None = None) -> tuple[dict[str, str], bytes]:
        """Query parameters and body of the POST that delivers `xml`."""
        timestamp, nonce = str(int(self.clock())), nonce or new_nonce()
        params = {
            "timestamp": timestamp,
            "nonce": nonce,
            "signature": callback_signature(self.token, timestamp, nonce),
        }
        if self.mode is Mode.PLAIN:
            return params, xml.encode()
        if self.crypto is None:
            raise ValueError("an encrypted mode needs a MessageCrypto")
        encrypt = self.crypto.encrypt(xml)
        params["encrypt_type"] = "aes"
        params["msg_signature"] = msg_signature(self.token, timestamp, nonce, encrypt)
        return params, f"<xml><Encrypt>{cdata(encrypt)}</Encrypt></xml>".encode()

    def open_reply(self, body: bytes) -> dict[str, FieldValue] | None:
        """The reply's fields, decrypted and checked; None when we answered "success"."""
        if body.strip() in (b"", b"success"):
            return None
        fields = parse_fields(body)
        encrypt = fields.get("Encrypt")
        if encrypt is None:
            return fields
        if self.crypto is None or not isinstance(encrypt, str):
            raise BadParameter("an encrypted reply, and no key to open it")
        verify_msg_signature(
            self.token,
            str(fields.get("TimeStamp", "")),
            str(fields.get("Nonce", "")),
            encrypt,
            str(fields.get("MsgSignature", "")),
        )
        return parse_fields(self.crypto.decrypt(encrypt))
