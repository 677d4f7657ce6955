"""Safe XML parsing for WeChat callbacks: no DTDs, no entities, a size cap, a depth cap, and
nothing but ProtocolError escapes, whatever the body holds.

WeChat's messages are small trees of text, read straight into dicts by expat's callbacks:
no element tree is built. A document type declaration is refused as soon as expat meets
it, before any entity it declares can be defined or expanded (defusedxml's rule, without
its ElementTree layer, which the callback benchmark measured at a third of the parsing).
"""

from dataclasses import dataclass
from typing import Any, NoReturn
from xml.parsers import expat

from .errors import BadMessage, BadXML, BodyTooLarge

DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 8  # WeChat nests at most four levels (PublishEventInfo/article_detail/item/…)

# A field is text, a dict of sub-fields, or a list when a tag repeats (news items, fail_idx).
FieldValue = str | dict[str, Any] | list[Any]


class _Forbidden(Exception):
    pass


def _forbid(*_args: object) -> NoReturn:
    raise _Forbidden


# Marks where a CDATA section opens or closes inside <Content> (when the XML is laid out
# around it); expat never reports NUL, which XML forbids, so the mark cannot be text.
_CDATA_MARK = "\x00"
USER_TEXT = "Content"


class _Tree:
    """Builds the fields of the root element from expat's events. An element with children
    gives a dict of them; a leaf gives its text without surrounding whitespace (some pushes
    wrap openids and MediaIds in newlines), except <Content>, the follower's own words: there
    only whitespace outside its CDATA sections goes, which is the XML's layout, not the text."""

    def __init__(self) -> None:
        # Per open element: its tag, its children's fields, its text, whether it has children.
        self.open: list[tuple[str, dict[str, FieldValue], list[str], list[bool]]] = []
        self.root_tag: str | None = None
        self.fields: dict[str, FieldValue] = {}

    def start(self, tag: str, _attributes: object) -> None:
        if len(self.open) > MAX_DEPTH:
            raise BadXML(f"XML is nested deeper than {MAX_DEPTH} levels")
        if self.open:
            self.open[-1][3][0] = True
        else:
            self.root_tag = tag
        self.open.append((tag, {}, [], [False]))

    def text(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)

    def cdata_edge(self) -> None:
        if self.open and self.open[-1][0] == USER_TEXT:
            self.open[-1][2].append(_CDATA_MARK)

    def end(self, _tag: str) -> None:
        tag, fields, texts, has_children = self.open.pop()
        if not self.open:
            self.fields = fields
            return
        value: FieldValue
        if has_children[0]:
            value = fields
        elif tag == USER_TEXT:
            value = _user_text("".join(texts))
        else:
            value = "".join(texts).strip()
        siblings = self.open[-1][1]
        if tag in siblings:
            previous = siblings[tag]
            if isinstance(previous, list):
                previous.append(value)
            else:
                siblings[tag] = [previous, value]
        else:
            siblings[tag] = value


def _user_text(text: str) -> str:
    """<Content> as the follower wrote it: its CDATA sections verbatim, and text outside them
    only when it is more than whitespace. Without CDATA, the text is kept as it came."""
    if _CDATA_MARK not in text:
        return text
    parts = text.split(_CDATA_MARK)  # outside, inside, outside, …
    return "".join(part for n, part in enumerate(parts) if n % 2 or part.strip())


def _has_layout_around_content(body: bytes) -> bool:
    """Whether <Content> may hold more than its CDATA sections. WeChat writes it as CDATA
    and nothing else, and then its whole text is the follower's: the marks, which cost
    expat a fifth more time, are not needed."""
    if b"<Content" not in body:
        return False
    return b"<Content><![CDATA[" not in body or b"]]></Content>" not in body


def parse_fields(
    body: bytes | str, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> dict[str, FieldValue]:
    """The fields of a WeChat XML document (its root must be <xml>)."""
    if isinstance(body, str):
        body = body.encode()
    if len(body) > max_bytes:
        raise BodyTooLarge(f"body of {len(body)} bytes exceeds the cap of {max_bytes} bytes")
    if not body.strip():
        raise BadXML("body is empty")
    tree = _Tree()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    parser.StartElementHandler = tree.start
    parser.EndElementHandler = tree.end
    parser.CharacterDataHandler = tree.text
    if _has_layout_around_content(body):
        parser.StartCdataSectionHandler = parser.EndCdataSectionHandler = tree.cdata_edge
    parser.buffer_text = True
    try:
        parser.Parse(body, True)
    except _Forbidden:
        raise BadXML("forbidden XML construct (a DTD or an entity declaration)") from None
    except expat.ExpatError as error:
        raise BadXML(f"malformed XML: {error}") from None
    except RecursionError:
        raise BadXML(f"XML is nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeError, TypeError) as error:
        raise BadXML(f"unreadable XML ({type(error).__name__})") from None
    if tree.root_tag != "xml":
        raise BadXML(f"root element is <{str(tree.root_tag)[:40]}>, not <xml>")
    return tree.fields


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
