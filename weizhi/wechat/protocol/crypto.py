"""Safe-mode message encryption, as WeChat specifies it.

The key is base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = key[:16]. The
plaintext is 16 random bytes, the message length (4 bytes, big-endian), the message and the
AppID, padded PKCS#7-style to a multiple of 32 bytes (WeChat's block size, not AES's).
"""

import base64
import binascii
import functools
import re
import struct
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import (
    AppIdMismatch,
    BadCiphertext,
    BadLength,
    BadPadding,
    DecryptionError,
    InvalidAESKey,
)
from .randomness import random_pool

PAD_BLOCK = 32
RANDOM_PREFIX = 16
_KEY_PATTERN = re.compile(r"[A-Za-z0-9+/]{43}")


def aes_key(encoding_aes_key: str) -> bytes:
    """Turn the 43-character EncodingAESKey from the WeChat console into the AES key."""
    if not isinstance(encoding_aes_key, str) or not _KEY_PATTERN.fullmatch(encoding_aes_key):
        raise InvalidAESKey(
            "EncodingAESKey must be exactly 43 characters of the base64 alphabet "
            "(A-Z, a-z, 0-9, + and /)"
        )
    return base64.b64decode(encoding_aes_key + "=")


def pad(data: bytes) -> bytes:
    amount = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([amount]) * amount


def unpad(data: bytes) -> bytes:
    amount = data[-1] if data else 0
    if not 1 <= amount <= PAD_BLOCK or amount > len(data):
        raise BadPadding(f"padding byte {amount} is outside 1..{PAD_BLOCK}")
    if data[-amount:] != bytes([amount]) * amount:
        raise BadPadding(f"the last {amount} bytes are not all equal to {amount}")
    return data[:-amount]


@functools.lru_cache(maxsize=8)
def _cipher(key: bytes) -> Cipher:
    # A Cipher only describes the algorithm; each message still gets its own context.
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(key: bytes, app_id: str, message: bytes, random_prefix: bytes) -> str:
    if len(random_prefix) != RANDOM_PREFIX:
        raise ValueError(f"the random prefix must be {RANDOM_PREFIX} bytes")
    plain = random_prefix + struct.pack(">I", len(message)) + message + app_id.encode()
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(pad(plain)) + encryptor.finalize()).decode()


def decrypt(key: bytes, ciphertext: str) -> tuple[bytes, str]:
    """Open a ciphertext and return (message, AppID) without judging the AppID."""
    try:
        raw = base64.b64decode(ciphertext.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadCiphertext("Encrypt is not valid base64") from None
    if not raw or len(raw) % 16:
        raise BadCiphertext(f"ciphertext of {len(raw)} bytes is not a whole number of AES blocks")
    decryptor = _cipher(key).decryptor()
    plain = unpad(decryptor.update(raw) + decryptor.finalize())
    header = RANDOM_PREFIX + 4
    if len(plain) < header:
        raise BadLength(f"plaintext of {len(plain)} bytes is shorter than its {header}-byte header")
    (length,) = struct.unpack(">I", plain[RANDOM_PREFIX:header])
    if header + length > len(plain):
        raise BadLength(
            f"message length {length} exceeds the {len(plain) - header} bytes that follow it"
        )
    try:
        app_id = plain[header + length :].decode()
    except UnicodeDecodeError:
        raise AppIdMismatch("the trailing AppID is not valid UTF-8") from None
    return plain[header : header + length], app_id


class MessageCrypto:
    """Encrypts with the current EncodingAESKey; decrypts with the current one, then with the
    previous one, so messages keep flowing while a key rollover propagates. WeChat opens our
    reply with the key that sealed its message, so `open` says which key that was and
    `encrypt(previous=True)` seals with the previous one."""

    def __init__(
        self,
        encoding_aes_key: str,
        app_id: str,
        previous_encoding_aes_key: str | None = None,
        random_bytes: Callable[[int], bytes] = random_pool.take,
    ) -> None:
        if not app_id:
            raise ValueError("an AppID is required for safe mode")
        self.app_id = app_id
        self._key = aes_key(encoding_aes_key)
        self._previous_key = (
            aes_key(previous_encoding_aes_key) if previous_encoding_aes_key else None
        )
        self._random_bytes = random_bytes

    def __repr__(self) -> str:  # never show the keys
        rollover = ", with a previous key" if self._previous_key else ""
        return f"<MessageCrypto for {self.app_id}{rollover}>"

    def encrypt(self, message: bytes | str, *, previous: bool = False) -> str:
        if isinstance(message, str):
            message = message.encode()
        key = self._key
        if previous:
            if self._previous_key is None:
                raise ValueError("no previous EncodingAESKey to seal with")
            key = self._previous_key
        return encrypt(key, self.app_id, message, self._random_bytes(RANDOM_PREFIX))

    def decrypt(self, ciphertext: str) -> bytes:
        return self.open(ciphertext)[0]

    def open(self, ciphertext: str) -> tuple[bytes, bool]:
        """The message, and whether the previous key (not the current one) opened it."""
        try:
            return self._open(self._key, ciphertext), False
        except DecryptionError as current_error:
            if self._previous_key is None:
                raise
            try:
                return self._open(self._previous_key, ciphertext), True
            except DecryptionError:
                # Report what the current key found: the previous key is only a courtesy.
                raise current_error from None

    def _open(self, key: bytes, ciphertext: str) -> bytes:
        message, app_id = decrypt(key, ciphertext)
        if app_id != self.app_id:
            raise AppIdMismatch(f"message is for AppID {app_id[:40]!r}, not {self.app_id!r}")
        return message
