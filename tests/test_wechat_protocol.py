"""Signatures, safe-mode crypto and the decode/encode doors of weizhi.wechat.protocol.

The official vector is the sample in WeChat's 消息加解密 SDK (Sample.py, jonyqin, 2014).
"""

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from weizhi.wechat.protocol import (
    NO_REPLY,
    AppIdMismatch,
    BadCiphertext,
    BadLength,
    BadPadding,
    BadParameter,
    CallbackConfig,
    DecryptionError,
    InvalidAESKey,
    MessageCrypto,
    ProtocolError,
    SignatureMismatch,
    StaleTimestamp,
    TextMessage,
    TextReply,
    callback_signature,
    check_timestamp,
    decode_request,
    encode_reply,
    msg_signature,
    parse_envelope,
    parse_fields,
    parse_message,
    verify_msg_signature,
    verify_signature,
    verify_url,
)
from weizhi.wechat.protocol.crypto import aes_key, decrypt

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
TIMESTAMP = "1409735669"
NONCE = "1320562132"
MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp"
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv"
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
PLAIN_XML = (
    b"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    b"<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    b"<CreateTime>1409735668</CreateTime>\n"
    b"<MsgType><![CDATA[text]]></MsgType>\n"
    b"<Content><![CDATA[abcdteT]]></Content>\n"
    b"<MsgId>6054768590064713728</MsgId>\n"
    b"</xml>"
)
ENVELOPE = (
    f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    f"<Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>"
).encode()
OTHER_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
FIXED_PREFIX = bytes(range(16))


def official_clock() -> float:
    return float(TIMESTAMP)


def raw_aes(plaintext: bytes, encoding_aes_key: str = AES_KEY) -> str:
    """Encrypt arbitrary bytes the WeChat way but without its framing, to forge bad messages."""
    key = aes_key(encoding_aes_key)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plaintext) + encryptor.finalize()).decode()


def framed(message: bytes, app_id: str = APP_ID, length: int | None = None) -> bytes:
    size = len(message) if length is None else length
    return FIXED_PREFIX + struct.pack(">I", size) + message + app_id.encode()


def official_crypto(**kwargs) -> MessageCrypto:
    return MessageCrypto(AES_KEY, APP_ID, **kwargs)


def safe_config(mode: str = "safe", **kwargs) -> CallbackConfig:
    kwargs.setdefault("crypto", official_crypto())
    kwargs.setdefault("clock", official_clock)
    return CallbackConfig(token=TOKEN, mode=mode, **kwargs)


def safe_params(**overrides: str) -> dict[str, str]:
    params = {
        "signature": callback_signature(TOKEN, TIMESTAMP, NONCE),
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
        "openid": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
        "encrypt_type": "aes",
        "msg_signature": MSG_SIGNATURE,
    }
    params.update(overrides)
    return params


def plain_params(token: str = TOKEN) -> dict[str, str]:
    return {
        "signature": callback_signature(token, TIMESTAMP, NONCE),
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
    }


# Signatures


def test_the_official_msg_signature_verifies_against_the_official_ciphertext():
    assert msg_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT) == MSG_SIGNATURE
    verify_msg_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT, MSG_SIGNATURE)


def test_the_url_check_signature_is_sha1_of_the_sorted_token_timestamp_and_nonce():
    # Also quoted beside the official sample in public SDK tests.
    assert callback_signature(TOKEN, TIMESTAMP, NONCE) == "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"


def test_it_accepts_a_signature_in_upper_case():
    verify_signature(TOKEN, TIMESTAMP, NONCE, callback_signature(TOKEN, TIMESTAMP, NONCE).upper())


def test_it_rejects_a_bad_signature():
    with pytest.raises(SignatureMismatch, match="signature does not match"):
        verify_signature(TOKEN, TIMESTAMP, NONCE, "0" * 40)


def test_it_rejects_a_signature_made_with_another_token():
    with pytest.raises(SignatureMismatch):
        verify_signature(TOKEN, TIMESTAMP, NONCE, callback_signature("other", TIMESTAMP, NONCE))


def test_it_rejects_a_bad_msg_signature():
    with pytest.raises(SignatureMismatch, match="msg_signature"):
        verify_msg_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT, MSG_SIGNATURE[:-1] + "0")


def test_it_rejects_a_msg_signature_over_a_different_ciphertext():
    with pytest.raises(SignatureMismatch):
        verify_msg_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT[:-4] + "AAA=", MSG_SIGNATURE)


# Crypto


def test_the_official_ciphertext_decrypts_to_the_expected_xml_and_app_id():
    assert official_crypto().decrypt(ENCRYPT) == PLAIN_XML
    message, app_id = decrypt(aes_key(AES_KEY), ENCRYPT)
    assert (message, app_id) == (PLAIN_XML, APP_ID)


def test_encrypting_with_the_official_random_prefix_reproduces_the_official_ciphertext():
    key = aes_key(AES_KEY)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    prefix = (decryptor.update(base64.b64decode(ENCRYPT)) + decryptor.finalize())[:16]
    crypto = official_crypto(random_bytes=lambda n: prefix)
    assert crypto.encrypt(PLAIN_XML) == ENCRYPT


def test_the_key_is_the_base64_of_the_encoding_aes_key_and_is_32_bytes():
    key = aes_key(AES_KEY)
    assert len(key) == 32
    assert key == base64.b64decode(AES_KEY + "=")


def test_a_round_trip_with_a_fixed_random_prefix_is_deterministic_and_pads_to_32_bytes():
    crypto = official_crypto(random_bytes=lambda n: FIXED_PREFIX)
    ciphertext = crypto.encrypt("你好, weizhi")
    assert ciphertext == crypto.encrypt("你好, weizhi")
    assert len(base64.b64decode(ciphertext)) % 32 == 0
    assert crypto.decrypt(ciphertext) == "你好, weizhi".encode()


@pytest.mark.parametrize("size", [0, 1, 11, 12, 13, 44, 1000])
def test_messages_of_every_length_round_trip_including_a_full_block_of_padding(size):
    crypto = official_crypto()
    message = b"x" * size
    assert crypto.decrypt(crypto.encrypt(message)) == message


def test_a_fresh_random_prefix_makes_each_ciphertext_different():
    crypto = official_crypto()
    assert crypto.encrypt("same") != crypto.encrypt("same")


@pytest.mark.parametrize(
    "bad_key", ["", "short", AES_KEY + "H", AES_KEY[:-1] + "=", AES_KEY[:-1] + "-", None]
)
def test_it_refuses_a_malformed_encoding_aes_key_at_construction(bad_key):
    with pytest.raises(InvalidAESKey, match="43 characters"):
        MessageCrypto(bad_key, APP_ID)


def test_it_refuses_a_malformed_previous_key_at_construction_too():
    with pytest.raises(InvalidAESKey):
        MessageCrypto(AES_KEY, APP_ID, previous_encoding_aes_key="nope")


def test_the_crypto_never_shows_its_keys():
    assert AES_KEY not in repr(official_crypto())


def test_it_rejects_a_tampered_ciphertext():
    raw = bytearray(base64.b64decode(ENCRYPT))
    raw[0] ^= 0x80  # flips the top bit of the length field in the next block
    with pytest.raises(BadLength):
        official_crypto().decrypt(base64.b64encode(bytes(raw)).decode())


def test_it_rejects_a_ciphertext_whose_last_block_was_tampered_with():
    raw = bytearray(base64.b64decode(ENCRYPT))
    raw[-17] ^= 0x40  # flips a bit of the last plaintext byte: the padding
    with pytest.raises(BadPadding):
        official_crypto().decrypt(base64.b64encode(bytes(raw)).decode())


@pytest.mark.parametrize(
    "ciphertext", ["not base64!", "QUJD", base64.b64encode(b"x" * 15).decode()]
)
def test_it_rejects_a_ciphertext_that_is_not_base64_of_whole_blocks(ciphertext):
    with pytest.raises(BadCiphertext):
        official_crypto().decrypt(ciphertext)


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (b"\x00" * 32, "outside 1..32"),
        (b"\x21" * 32, "outside 1..32"),
        (b"\x00" * 29 + b"\x01\x03\x03", "not all equal"),
    ],
)
def test_it_rejects_bad_padding(tail, reason):
    with pytest.raises(BadPadding, match=reason):
        official_crypto().decrypt(raw_aes(tail))


def test_it_rejects_a_length_field_pointing_past_the_end():
    plain = framed(b"<xml/>", length=10_000)
    plain += bytes([32 - len(plain) % 32]) * (32 - len(plain) % 32)
    with pytest.raises(BadLength, match="exceeds"):
        official_crypto().decrypt(raw_aes(plain))


def test_it_rejects_a_plaintext_too_short_for_its_header():
    with pytest.raises(BadLength, match="shorter than"):
        official_crypto().decrypt(raw_aes(FIXED_PREFIX + bytes([16]) * 16))


def test_it_rejects_a_message_for_another_app_id():
    ciphertext = MessageCrypto(AES_KEY, "wx0000000000000000").encrypt("<xml/>")
    with pytest.raises(AppIdMismatch, match="wx0000000000000000"):
        official_crypto().decrypt(ciphertext)


def test_it_rejects_a_message_encrypted_with_another_key():
    ciphertext = MessageCrypto(OTHER_KEY, APP_ID).encrypt("<xml/>")
    with pytest.raises(DecryptionError):
        official_crypto().decrypt(ciphertext)


def test_during_rollover_it_decrypts_with_the_previous_key():
    old_message = MessageCrypto(AES_KEY, APP_ID).encrypt("<xml>old</xml>")
    crypto = MessageCrypto(OTHER_KEY, APP_ID, previous_encoding_aes_key=AES_KEY)
    assert crypto.decrypt(old_message) == b"<xml>old</xml>"
    assert crypto.decrypt(ENCRYPT) == PLAIN_XML


def test_during_rollover_it_encrypts_with_the_current_key_only():
    crypto = MessageCrypto(OTHER_KEY, APP_ID, previous_encoding_aes_key=AES_KEY)
    ciphertext = crypto.encrypt("<xml>new</xml>")
    assert MessageCrypto(OTHER_KEY, APP_ID).decrypt(ciphertext) == b"<xml>new</xml>"
    with pytest.raises(DecryptionError):
        MessageCrypto(AES_KEY, APP_ID).decrypt(ciphertext)


def test_during_rollover_a_wrong_app_id_is_still_rejected():
    ciphertext = MessageCrypto(AES_KEY, "wx0000000000000000").encrypt("<xml/>")
    crypto = MessageCrypto(OTHER_KEY, APP_ID, previous_encoding_aes_key=AES_KEY)
    with pytest.raises(DecryptionError):
        crypto.decrypt(ciphertext)


def test_every_failure_is_a_protocol_error():
    for error in (AppIdMismatch, BadPadding, BadLength, BadCiphertext, SignatureMismatch):
        assert issubclass(error, ProtocolError)


# Replay window


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
def test_a_timestamp_within_the_window_passes(offset):
    assert check_timestamp("1000000", clock=lambda: 1_000_000 + offset) == 1_000_000


@pytest.mark.parametrize("offset", [-301, 301, 86_400])
def test_a_timestamp_just_outside_the_window_is_stale(offset):
    with pytest.raises(StaleTimestamp, match="window is 300 s"):
        check_timestamp("1000000", clock=lambda: 1_000_000 + offset)


def test_the_window_is_configurable():
    check_timestamp(1_000_000, window=10, clock=lambda: 1_000_010)
    with pytest.raises(StaleTimestamp):
        check_timestamp(1_000_000, window=10, clock=lambda: 1_000_011)


def test_a_timestamp_that_is_not_a_number_is_a_bad_parameter():
    with pytest.raises(BadParameter, match="not an integer"):
        check_timestamp("soon", clock=lambda: 0)


# URL check


def test_the_url_check_returns_echostr_when_the_signature_is_right():
    params = plain_params() | {"echostr": "shr5ch"}
    config = CallbackConfig(token=TOKEN, clock=official_clock)
    assert verify_url(config, params) == "shr5ch"


def test_the_url_check_rejects_a_bad_signature():
    params = plain_params(token="other") | {"echostr": "shr5ch"}
    with pytest.raises(SignatureMismatch):
        verify_url(CallbackConfig(token=TOKEN, clock=official_clock), params)


def test_the_url_check_rejects_a_stale_timestamp():
    params = plain_params() | {"echostr": "shr5ch"}
    with pytest.raises(StaleTimestamp):
        verify_url(CallbackConfig(token=TOKEN, clock=lambda: float(TIMESTAMP) + 3600), params)


def test_the_url_check_needs_an_echostr():
    with pytest.raises(BadParameter, match="echostr"):
        verify_url(CallbackConfig(token=TOKEN, clock=official_clock), plain_params())


def test_the_url_check_decrypts_an_encrypted_echostr():
    echostr = official_crypto(random_bytes=lambda n: FIXED_PREFIX).encrypt("8150512963785402599")
    params = {
        "msg_signature": msg_signature(TOKEN, TIMESTAMP, NONCE, echostr),
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
        "echostr": echostr,
    }
    assert verify_url(safe_config(), params) == "8150512963785402599"
    with pytest.raises(SignatureMismatch):
        verify_url(safe_config(), params | {"msg_signature": MSG_SIGNATURE})


# decode_request / encode_reply


def test_it_decodes_the_official_safe_mode_request():
    decoded = decode_request(safe_config(), safe_params(), ENVELOPE)
    assert decoded.encrypted
    assert decoded.raw_xml == PLAIN_XML
    assert isinstance(decoded.message, TextMessage)
    assert decoded.message.content == "abcdteT"
    assert decoded.message.msg_id == "6054768590064713728"
    assert decoded.message.from_user == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def test_safe_mode_rejects_a_bad_msg_signature():
    with pytest.raises(SignatureMismatch, match="msg_signature"):
        decode_request(safe_config(), safe_params(msg_signature="0" * 40), ENVELOPE)


def test_safe_mode_rejects_a_bad_signature_even_with_a_good_msg_signature():
    with pytest.raises(SignatureMismatch):
        decode_request(safe_config(), safe_params(signature="0" * 40), ENVELOPE)


def test_safe_mode_rejects_a_tampered_ciphertext_before_decrypting_it():
    tampered = ENVELOPE.replace(b"hyzAe4", b"hyzAe5")
    with pytest.raises(SignatureMismatch):
        decode_request(safe_config(), safe_params(), tampered)


def test_safe_mode_rejects_a_stale_request():
    config = safe_config(clock=lambda: float(TIMESTAMP) + 301)
    with pytest.raises(StaleTimestamp):
        decode_request(config, safe_params(), ENVELOPE)


def test_safe_mode_rejects_a_plaintext_request():
    params = plain_params()
    with pytest.raises(BadParameter, match="msg_signature"):
        decode_request(safe_config(), params, PLAIN_XML)


def test_plain_mode_decodes_a_signed_plaintext_request():
    config = CallbackConfig(token=TOKEN, clock=official_clock)
    decoded = decode_request(config, plain_params(), PLAIN_XML)
    assert not decoded.encrypted
    assert decoded.message.content == "abcdteT"


def test_plain_mode_rejects_a_bad_signature():
    config = CallbackConfig(token=TOKEN, clock=official_clock)
    with pytest.raises(SignatureMismatch):
        decode_request(config, plain_params(token="other"), PLAIN_XML)


def test_plain_mode_refuses_an_encrypted_request():
    config = CallbackConfig(token=TOKEN, clock=official_clock)
    with pytest.raises(BadParameter, match="plain mode"):
        decode_request(config, safe_params(), ENVELOPE)


@pytest.mark.parametrize("missing", ["timestamp", "nonce", "signature"])
def test_a_missing_query_parameter_is_a_bad_parameter(missing):
    params = plain_params()
    del params[missing]
    with pytest.raises(BadParameter, match=missing):
        decode_request(CallbackConfig(token=TOKEN, clock=official_clock), params, PLAIN_XML)


def test_compatible_mode_accepts_a_plaintext_request():
    decoded = decode_request(safe_config("compatible"), plain_params(), PLAIN_XML)
    assert not decoded.encrypted
    assert decoded.message.content == "abcdteT"


def test_compatible_mode_accepts_an_encrypted_request_with_plaintext_beside_it():
    # In compatible mode WeChat sends the clear fields and Encrypt in one XML document; only
    # the encrypted copy is authenticated, so that is the one we read.
    body = PLAIN_XML.replace(b"abcdteT", b"forged").replace(
        b"</xml>", f"<Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>".encode()
    )
    decoded = decode_request(safe_config("compatible"), safe_params(), body)
    assert decoded.encrypted
    assert decoded.message.content == "abcdteT"


def test_a_safe_or_compatible_config_needs_a_crypto():
    with pytest.raises(ValueError, match="needs a MessageCrypto"):
        CallbackConfig(token=TOKEN, mode="safe")


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        CallbackConfig(token=TOKEN, mode="secret")


def test_no_reply_is_the_success_acknowledgement():
    decoded = decode_request(safe_config(), safe_params(), ENVELOPE)
    assert encode_reply(safe_config(), decoded, None) == NO_REPLY == "success"


def test_a_reply_to_a_plaintext_request_is_plaintext_and_addressed_back():
    config = CallbackConfig(token=TOKEN, clock=official_clock)
    decoded = decode_request(config, plain_params(), PLAIN_XML)
    reply = parse_message(encode_reply(config, decoded, TextReply("收到")))
    assert reply.to_user == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert reply.from_user == "gh_10f6c3c3ac5a"
    assert reply.create_time == int(TIMESTAMP)
    assert reply.content == "收到"


def test_a_reply_to_an_encrypted_request_is_encrypted_and_signed():
    config = safe_config()
    decoded = decode_request(config, safe_params(), ENVELOPE)
    body = encode_reply(config, decoded, TextReply("收到"), nonce="424242")
    fields = parse_fields(body)
    assert fields["TimeStamp"] == TIMESTAMP
    assert fields["Nonce"] == "424242"
    envelope = parse_envelope(body)
    verify_msg_signature(TOKEN, TIMESTAMP, "424242", envelope.encrypt, fields["MsgSignature"])
    reply = parse_message(official_crypto().decrypt(envelope.encrypt))
    assert (reply.to_user, reply.content) == ("oyORnuP8q7ou2gfYjqLzSIWZf0rs", "收到")


def test_an_encrypted_reply_round_trips_through_decode_request():
    config = safe_config()
    decoded = decode_request(config, safe_params(), ENVELOPE)
    body = encode_reply(config, decoded, TextReply("好"), nonce="777")
    fields = parse_fields(body)
    params = {"timestamp": TIMESTAMP, "nonce": "777", "msg_signature": fields["MsgSignature"]}
    again = decode_request(config, params, body)
    assert again.message.content == "好"
