"""Every failure of the WeChat protocol layer is a ProtocolError, so a callback view needs one
`except` clause; the subclasses say precisely what went wrong, for the logs."""


class ProtocolError(Exception):
    """Base of every error raised by weizhi.wechat.protocol."""


class BadParameter(ProtocolError):
    """A query parameter is missing or malformed."""


class SignatureMismatch(ProtocolError):
    """`signature` or `msg_signature` does not match what the token produces."""


class StaleTimestamp(ProtocolError):
    """The request's timestamp lies outside the replay window."""


class InvalidAESKey(ProtocolError, ValueError):
    """An EncodingAESKey that cannot be a WeChat key (configuration error)."""


class DecryptionError(ProtocolError):
    """Base of the failures while opening an encrypted message."""


class BadCiphertext(DecryptionError):
    """The Encrypt value is not base64 of whole AES blocks."""


class BadPadding(DecryptionError):
    """The decrypted plaintext does not end in valid PKCS#7 padding (block size 32)."""


class BadLength(DecryptionError):
    """The 4-byte message length inside the plaintext points outside the plaintext."""


class AppIdMismatch(DecryptionError):
    """The AppID trailing the decrypted message is not ours."""


class BodyTooLarge(ProtocolError):
    """The request body exceeds the configured cap."""


class BadXML(ProtocolError):
    """The body is not well-formed XML, or uses DTDs or entities, which we never accept."""


class BadMessage(ProtocolError):
    """Well-formed XML that is not a WeChat message (missing or malformed fields)."""


class InvalidReply(ProtocolError, ValueError):
    """A passive reply that WeChat would reject."""
