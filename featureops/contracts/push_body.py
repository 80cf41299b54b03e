"""The records of a ``POST /push/{view}`` body: JSON lines, a JSON array, or
``{"records": [...]}``, each record with the exact text it was sent as.

A body that orjson cannot read as a whole because of one record (nested deeper than its
1,024 levels, bytes that are not UTF-8) or cannot write back (deeper than 254 levels) is
split into its array elements by its brackets and strings alone, so that record is judged
on its own and the others still go through.
"""

from __future__ import annotations

import re

import orjson

from featureops.contracts.push import Incoming, ndjson_lines, parse_lines, parse_record
from featureops.exceptions import FeatureopsError

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
_SHAPE = ('the body must be {"records": [...]}, a JSON array, or JSON lines '
          "(Content-Type: application/x-ndjson)")
# A JSON string (escapes included) or one structural character; everything else (numbers,
# literals, whitespace) lies between these tokens.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]', re.S)


class PushBodyError(FeatureopsError):
    """The body is not JSON lines, a JSON array or ``{"records": [...]}``."""


def body_records(body: bytes, content_type: str) -> list[Incoming]:
    """Every record of the body, in order, named ``line N`` or ``records[i]``."""
    if content_type.split(";")[0].strip().lower() in NDJSON_TYPES:
        return list(parse_lines((f"line {n}", line) for n, line in ndjson_lines(body)))
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return _split_records(body, f"request body is not valid JSON: {error}")
    if isinstance(payload, dict) and isinstance(payload.get("records"), list):
        payload = payload["records"]
    if not isinstance(payload, list):
        raise PushBodyError(_SHAPE)
    try:
        return [Incoming(f"records[{index}]", orjson.dumps(record).decode(), record)
                for index, record in enumerate(payload)]
    except orjson.JSONEncodeError:  # a record nested too deep to write back: exact text
        return _split_records(body, _SHAPE)


def _split_records(body: bytes, problem: str) -> list[Incoming]:
    elements = array_elements(body)
    if elements is None:
        raise PushBodyError(problem)
    return [parse_record(f"records[{index}]", element)
            for index, element in enumerate(elements)]


def array_elements(body: bytes) -> list[bytes] | None:
    """The raw elements of a body shaped ``[...]`` or ``{..., "records": [...], ...}``,
    found from brackets, commas and strings only; None when the body has not that shape
    (unbalanced brackets, anything after the top-level value)."""
    depth = 0
    container = 0  # depth inside the records array, once it is found
    closed = False
    start = 0
    keys: list[bytes] = []  # the last two tokens inside a top-level object
    elements: list[bytes] = []
    end = 0
    for match in _TOKEN.finditer(body):
        token = match.group()
        if depth == 0 and (closed or body[end:match.start()].strip()):
            return None  # a second top-level value, or text outside any bracket
        if token in (b"[", b"{"):
            if not container and not closed and token == b"[" and (
                    depth == 0 or (depth == 1 and keys == [b'"records"', b":"])):
                container, start = depth + 1, match.end()
            depth += 1
        elif token in (b"]", b"}"):
            if depth == container and token == b"]":
                _add_element(elements, body[start:match.start()], final=True)
                container, closed = 0, True
            depth -= 1
            if depth < 0:
                return None
        elif token == b"," and depth == container:
            _add_element(elements, body[start:match.start()], final=False)
            start = match.end()
        if depth == 1 and not container:
            keys = [*keys[-1:], token]
        end = match.end()
    if depth or not closed or body[end:].strip():
        return None
    return elements


def _add_element(elements: list[bytes], text: bytes, *, final: bool) -> None:
    text = text.strip()
    if text or not final or elements:  # `[]` has no element; `[1,]` an empty (invalid) one
        elements.append(text)
