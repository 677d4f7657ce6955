"""Safe XML parsing for WeChat callbacks: no DTDs, no entities, a size cap, a depth cap, and
nothing but ProtocolError escapes, whatever the body holds."""

from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .errors import BadMessage, BadXML, BodyTooLarge

DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 8  # WeChat nests at most four levels (PublishEventInfo/article_detail/item/…)

# A field is text, a dict of sub-fields, or a list when a tag repeats (news items, fail_idx).
FieldValue = str | dict[str, Any] | list[Any]


def parse_xml(body: bytes | str, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Element:
    if isinstance(body, str):
        body = body.encode()
    if len(body) > max_bytes:
        raise BodyTooLarge(f"body of {len(body)} bytes exceeds the cap of {max_bytes} bytes")
    if not body.strip():
        raise BadXML("body is empty")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise BadXML(f"forbidden XML construct ({type(error).__name__})") from None
    except ParseError as error:
        raise BadXML(f"malformed XML: {error}") from None
    except (ValueError, UnicodeError, TypeError) as error:
        raise BadXML(f"unreadable XML ({type(error).__name__})") from None
    if root.tag != "xml":
        raise BadXML(f"root element is <{str(root.tag)[:40]}>, not <xml>")
    return root


def element_fields(element: Element, depth: int = 0) -> dict[str, FieldValue]:
    """Children of an element as a dict; a leaf gives its text, verbatim (CDATA included)."""
    if depth >= MAX_DEPTH:
        raise BadXML(f"XML is nested deeper than {MAX_DEPTH} levels")
    fields: dict[str, FieldValue] = {}
    for child in element:
        value: FieldValue = element_fields(child, depth + 1) if len(child) else (child.text or "")
        if child.tag in fields:
            previous = fields[child.tag]
            if isinstance(previous, list):
                previous.append(value)
            else:
                fields[child.tag] = [previous, value]
        else:
            fields[child.tag] = value
    return fields


def parse_fields(
    body: bytes | str, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> dict[str, FieldValue]:
    return element_fields(parse_xml(body, max_bytes=max_bytes))


@dataclass(frozen=True)
class Envelope:
    """The outer XML of a safe-mode (or compatible-mode) message."""

    encrypt: str
    to_user: str | None


def envelope_from_fields(fields: dict[str, FieldValue]) -> Envelope:
    encrypt = fields.get("Encrypt")
    if not isinstance(encrypt, str) or not encrypt.strip():
        raise BadMessage("the envelope has no Encrypt field")
    to_user = fields.get("ToUserName")
    return Envelope(encrypt=encrypt.strip(), to_user=to_user if isinstance(to_user, str) else None)


def parse_envelope(body: bytes | str, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Envelope:
    return envelope_from_fields(parse_fields(body, max_bytes=max_bytes))
