"""``POST /push/{view}``: the contract-enforced push path on the feature server.

Added to every server through the ``featureops.routers`` entry point (pyproject.toml).
The body is JSON (``{"records": [...]}`` or a bare array) or JSON lines
(``Content-Type: application/x-ndjson``); ``?mode=lenient`` switches from strict mode.

Auth is the producer's token (``Authorization: Bearer <token>``), not the server's read
token: a request without the token of the view's producer gets 401 and its records are not
dead-lettered (the client still holds them, and an unauthenticated caller must not be able
to fill the server's disk). Rejected records of an authorized request are dead-lettered
before the accepted ones are written. The response is 200 with the counts, or 422 when
every record was rejected: every record received is in the counts, accepted or rejected,
whatever it holds (featureops.contracts.push_body splits the body). 400 for a body that
holds no records; 503 when the store or the dead-letter file cannot be written.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from featureops.catalog import FeatureCatalog, UnknownFeatureError
from featureops.contracts.push import (
    ContractPush,
    DeadLetterError,
    PushConfigError,
    UnauthorizedProducerError,
    authorize,
    store_writer,
)
from featureops.contracts.push_body import PushBodyError, body_records
from featureops.contracts.validation import LENIENT, STRICT


def push_router(context: Any) -> APIRouter:
    """Router factory (receives the server's ServingContext)."""
    router = APIRouter()
    project = context.project
    catalog = FeatureCatalog.from_manifest(project.manifest)
    pushers: dict[tuple[str, str], ContractPush] = {}
    records = Counter("featureops_push_records", "Pushed records by view and outcome.",
                      ["view", "outcome"], registry=context.metrics.registry)

    writer = store_writer(context.client.store)

    def pusher_for(view_name: str, mode: str) -> ContractPush:
        key = (view_name, mode)
        if key not in pushers:
            try:
                view = catalog.view(view_name)
            except UnknownFeatureError as error:
                raise HTTPException(404, detail=str(error)) from None
            pushers[key] = ContractPush(project, view, mode=mode, writer=writer)
        return pushers[key]

    @router.post("/push/{view}", summary="Push records, validated against the view's contract",
                 responses={400: {"description": "The body is not JSON lines, a JSON array "
                                                 'or {"records": [...]}'},
                            401: {"description": "Missing or wrong producer token"},
                            403: {"description": "The view accepts no push"},
                            404: {"description": "Unknown feature view"},
                            422: {"description": "Every record was rejected"},
                            503: {"description": "Store or dead-letter file unavailable"}})
    async def push(view: str, request: Request,
                   mode: str = Query(STRICT, pattern=f"^({STRICT}|{LENIENT})$")) -> JSONResponse:
        pusher = pusher_for(view, mode)
        try:
            producer = authorize(pusher.view, _bearer(request))
        except PushConfigError as error:
            raise HTTPException(403, detail=str(error)) from None
        except UnauthorizedProducerError as error:
            raise HTTPException(401, detail=str(error),
                                headers={"WWW-Authenticate": "Bearer"}) from None
        try:
            items = body_records(await request.body(), request.headers.get("content-type", ""))
        except PushBodyError as error:
            raise HTTPException(400, detail=str(error)) from None
        # validation and the store write may wait (a locked SQLite file, a slow Redis):
        # off the event loop, so other requests go on meanwhile
        try:
            report = await context.store_calls.run(
                lambda: pusher.push(items, producer=producer))
        except DeadLetterError as error:  # nothing acknowledged: the client sends it again
            raise HTTPException(503, detail=str(error), headers={"Retry-After": "1"}) from None
        records.labels(view, "accepted").inc(report.accepted)
        records.labels(view, "rejected").inc(report.rejected)
        status = 422 if report.received and not report.accepted else 200
        return JSONResponse(report.to_dict(), status_code=status)

    return router


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
