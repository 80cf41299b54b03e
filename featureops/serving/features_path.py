"""``POST /features``: the answer (``answer_features``), its errors (``error_answer``), and
the path requests take to it (``FeaturesFastPath``).

The route is declared in FastAPI (``featureops.serving.app``), which documents it in
OpenAPI, but requests reach ``FeaturesFastPath`` before FastAPI's stack: the same body
limit, auth, parsing, answers, error bodies and metrics, without the framework's
per-request work (middleware layers, routing, dependency solving, request and response
objects), which cost about as much as the lookup itself.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.requests import ClientDisconnect

from featureops.online.base import StoreBusyError, StoreUnavailableError
from featureops.online.sdk import OnlineColumns, OnlineRequestError
from featureops.serving.auth import check_token
from featureops.serving.log import next_request_id
from featureops.serving.models import FeaturesRequest

if TYPE_CHECKING:
    from featureops.serving.app import ServingContext

RETRY_AFTER = {"Retry-After": "1"}
#: nginx's status for "client closed the request": only ever seen in /metrics
CLIENT_CLOSED = 499
JSON_HEADERS = [(b"content-type", b"application/json")]
PATH = "/features"
#: from this many entities on, a view's shared timestamp and status lists are encoded once
SHARED_ENCODING_MIN = 8


def encode_json(content: Any) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_UTC_Z | orjson.OPT_SERIALIZE_NUMPY)


def parse_body(body: bytes, model: type[Any]) -> Any:
    """The request model, or 400 (not JSON) / RequestValidationError (422)."""
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        errors = error.errors()
        if errors and errors[0].get("type") == "json_invalid":
            reason = errors[0].get("ctx", {}).get("error", "")
            raise HTTPException(400, detail=f"request body is not valid JSON: {reason}") from None
        raise RequestValidationError(errors) from None


def one_line(errors: Sequence[Any]) -> str:
    first = errors[0]
    location = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    return f"{location or 'body'}: {first.get('msg', 'invalid')}"


def error_answer(error: Exception) -> tuple[int, dict[str, str] | None, str] | None:
    """(status, headers, detail) of an error a request can cause; None for any other (a
    bug: the server's 500)."""
    if isinstance(error, HTTPException):
        return error.status_code, error.headers, str(error.detail)
    if isinstance(error, OnlineRequestError):
        return 400, None, str(error)
    if isinstance(error, StoreUnavailableError):
        what = "busy" if isinstance(error, StoreBusyError) else "unavailable"
        return 503, RETRY_AFTER, f"online store {what}: {error}"
    if isinstance(error, RequestValidationError):
        return 422, None, one_line(error.errors())
    return None


def check_entities(body: FeaturesRequest, limit: int) -> None:
    counts = {len(values) for values in body.entities.values()}
    largest = max(counts, default=0)
    if largest > limit:
        raise HTTPException(413, detail=f"{largest} entities exceed the limit of {limit} per "
                                        "request (serving.max_entities)")


async def answer_features(context: ServingContext, body: bytes) -> bytes:
    """The encoded answer to one ``/features`` body (auth already checked); counts its
    values and hands it to the serving log."""
    request: FeaturesRequest = parse_body(body, FeaturesRequest)
    check_entities(request, context.settings.max_entities)
    if request.bundle is not None:
        from featureops.serving.bundled import answer_bundle

        return await answer_bundle(context, request)
    if request.preprocess:
        raise HTTPException(400, detail="preprocess needs a bundle")
    await context.client.plan_async(request.features, request.service_name)
    answer = await context.store_calls.lookup(lambda: context.client.get_online_columns_async(
        request.features, request.service_name, request.entities, request.as_of))
    context.metrics.count_columns(answer)
    payload = encode_json(feast_shape(answer, next_request_id()))
    if context.log is not None and context.log.sampled():
        context.log.submit(payload, answer)  # a hand-off of the encoded answer
    return payload


def feast_shape(response: OnlineColumns, request_id: str) -> dict[str, Any]:
    """Feast's column-oriented response: entity key columns, then one column per feature,
    each with values, statuses and event timestamps (the answer's own lists)."""
    count = len(response.entity_rows)
    results = [{"values": [row[i] for row in response.entity_rows],
                "statuses": ["present"] * count, "event_timestamps": [None] * count}
               for i in range(len(response.entity_names))]
    shared: dict[int, orjson.Fragment] = {}  # a view's columns share these two lists

    def encoded_once(values: list[Any]) -> orjson.Fragment | list[Any]:
        if len(values) < SHARED_ENCODING_MIN:
            return values  # short lists: encoding in place is cheaper than a fragment
        fragment = shared.get(id(values))
        if fragment is None:
            fragment = shared[id(values)] = orjson.Fragment(encode_json(values))
        return fragment

    results.extend({"values": column.values, "statuses": encoded_once(column.statuses),
                    "event_timestamps": encoded_once(column.event_at)}
                   for column in response.columns)
    metadata: dict[str, Any] = {"feature_names": [*response.entity_names,
                                                  *response.feature_refs]}
    if response.service:
        metadata["service"] = response.service
    if response.offline_views:
        metadata["offline_views"] = response.offline_views
    return {"request_id": request_id, "metadata": metadata, "results": results}


class FeaturesFastPath:
    """``POST /features`` as a plain ASGI handler, called by the app before FastAPI's own
    stack (``FeatureServer``): the body limit, auth, answer, errors and metrics every
    route gets from that stack, done here without its layers."""

    def __init__(self, context: ServingContext) -> None:
        self.context = context
        self.max_bytes = context.settings.max_body_bytes

    @staticmethod
    def handles(scope: dict[str, Any]) -> bool:
        return (scope["type"] == "http" and scope["path"] == PATH
                and scope["method"] == "POST")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        code = 500  # unless answered: an unexpected error propagates to the server's 500
        try:
            code = await self._answer(scope, receive, send)
        finally:
            self.context.metrics.record_request(PATH, code, time.perf_counter() - started)

    async def _answer(self, scope: dict[str, Any], receive: Any, send: Any) -> int:
        try:
            declared = _header(scope, b"content-length")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise _too_large(self.max_bytes)
            check_token(_header(scope, b"authorization"), self.context.tokens)
            payload = await answer_features(self.context, await _body(receive, self.max_bytes))
        except ClientDisconnect:  # nobody reads the answer; counted, not a server error
            await _send(send, CLIENT_CLOSED, b"", [])
            return CLIENT_CLOSED
        except Exception as error:
            answer = error_answer(error)
            if answer is None:
                raise
            status, headers, detail = answer
            extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
            await _send(send, status, encode_json({"detail": detail}), JSON_HEADERS + extra)
            return status
        await _send(send, 200, payload, JSON_HEADERS)
        return 200


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, detail=f"request body exceeds {limit} bytes")


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


async def _body(receive: Any, limit: int) -> bytes:
    chunks = []
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:  # a chunked body: refused as soon as it exceeds the limit
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
                ) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
