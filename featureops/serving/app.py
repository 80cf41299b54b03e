"""The feature server: ``create_app(project)`` builds a FastAPI app with

- ``POST /features``: online features for a batch of entities (Feast's request shape);
- ``POST /similar``: nearest entities by embedding;
- ``GET /health``: liveness and store reachability (503 while it is down); where the store
  is, and why it is down, only for authorized requests;
- ``GET /metrics``: Prometheus text (latency histograms, request and error counters);
- ``/docs`` and ``/openapi.json`` (with the auth scheme and every error answer:
  ``featureops.serving.openapi``).

Other capabilities add endpoints with routers: ``create_app(..., extra_routers=[...])``,
the ``serving.routers`` setting (``package.module:factory``), or an entry point in the
``featureops.routers`` group. A factory receives the ``ServingContext`` and returns an
``APIRouter``; protect its routes with ``Depends(require_token)``.

Store calls never freeze the event loop (``store_calls``): SQLite lookups run on it (WAL
readers never wait, a thread hop would cost more than the read); Redis lookups, similarity
searches and pushes run on bounded thread pools; a store that cannot answer gives a fast
503 with ``Retry-After``, and a short circuit (``store_retry_seconds``) answers 503 at once
while it is down, then lets the next request try again, so the server recovers without a
restart.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.requests import ClientDisconnect

from featureops.alerts.served import served_value_alerts
from featureops.online.base import StoreUnavailableError
from featureops.online.sdk import OnlineFeatureClient, OnlineRequestError
from featureops.online.similarity import find_similar
from featureops.project import Project
from featureops.serving.auth import authorized, require_token
from featureops.serving.features_path import (
    CLIENT_CLOSED,
    RETRY_AFTER,
    FeaturesFastPath,
    answer_features,
    encode_json,
    error_answer,
    parse_body,
)
from featureops.serving.limits import BodySizeLimit
from featureops.serving.log import log_dir
from featureops.serving.log_pipe import ServingLogPipe
from featureops.serving.metrics import MetricsMiddleware, ServingMetrics
from featureops.serving.metrics_streams import watch_streams
from featureops.serving.models import (
    ErrorResponse,
    FeaturesRequest,
    FeaturesResponse,
    HealthResponse,
    SimilarRequest,
    SimilarResponse,
)
from featureops.serving.openapi import BEARER, SECURED, complete_openapi
from featureops.serving.settings import ServingSettings, configured_tokens, load_serving_settings
from featureops.serving.store_calls import StoreCalls

if TYPE_CHECKING:
    from featureops.bundles.check import BundleChecks

ROUTER_ENTRY_POINTS = "featureops.routers"
logger = logging.getLogger(__name__)
RouterFactory = Callable[["ServingContext"], APIRouter]


@dataclass
class ServingContext:
    """What routers share: the project, the lookup client (and its store), settings,
    metrics, the serving log and the way to call the store (``store_calls.run(action)``
    for anything that may wait, such as a push)."""

    project: Project
    client: OnlineFeatureClient
    settings: ServingSettings
    metrics: ServingMetrics
    log: ServingLogPipe | None
    tokens: tuple[str, ...]
    store_calls: StoreCalls
    #: Model bundles requests name (featureops.serving.bundled), checked once each.
    bundles: BundleChecks = field(init=False)

    def __post_init__(self) -> None:
        from featureops.bundles.check import BundleChecks
        from featureops.bundles.index import bundles_root

        self.bundles = BundleChecks(self.project, bundles_root(self.project, self.settings))


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return encode_json(content)


def create_app(project: Project, *, client: OnlineFeatureClient | None = None,
               settings: ServingSettings | None = None, tokens: Sequence[str] | None = None,
               extra_routers: Iterable[APIRouter | RouterFactory] = (),
               serving_log: bool = True, freeze_gc: bool = False) -> FastAPI:
    """Build the feature server for ``project`` (its configured store unless ``client``);
    ``freeze_gc``: the process is the server's own (``featureops serve``), so what exists
    at start-up can be exempted from garbage collection for good."""
    settings = settings or load_serving_settings(project)
    client = client or OnlineFeatureClient(project)
    metrics = ServingMetrics()
    log = (ServingLogPipe(log_dir(project.project_dir, settings.log_dir),
                          sample_rate=settings.log_sample_rate,
                          capacity_bytes=settings.log_buffer_bytes,
                          flush_seconds=settings.log_flush_seconds,
                          on_drop=metrics.log_dropped.inc) if serving_log else None)
    context = ServingContext(project, client, settings, metrics, log,
                             tuple(tokens) if tokens is not None else configured_tokens(),
                             StoreCalls(client.store, settings, metrics))

    alerts = served_value_alerts(project, metrics.values)  # invalid settings fail here
    streams = watch_streams(project, client, metrics.registry)  # freshness of streamed views

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        if context.log:
            await context.log.start()
        if freeze_gc:
            # what start-up built (manifest, catalog, plans) lives as long as the server:
            # out of the collector's sight, a full collection no longer walks it (a pause
            # of milliseconds on a large project, in the middle of some request)
            gc.collect()
            gc.freeze()
        alerting = asyncio.create_task(alerts()) if alerts else None
        try:
            yield
        finally:
            if alerting:
                alerting.cancel()
            if streams:
                streams.close()
            await context.store_calls.close()
            if context.log:  # a clean stop writes every response handed over
                await context.log.close()

    app = FeatureServer(title="featureops feature server", version="1", lifespan=lifespan,
                  default_response_class=ORJSONResponse,
                  description="Online features of the project's feature views.",
                  **_telemetry_options(settings))
    app.state.context = context
    app.state.tokens = context.tokens
    _add_error_handlers(app, context)
    app.include_router(_core_router(context))
    for router in _routers(context, extra_routers):
        app.include_router(router)
    app.fast_path = FeaturesFastPath(context)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=context.metrics)
    complete_openapi(app)
    return app


class FeatureServer(FastAPI):
    """FastAPI, with ``POST /features`` handed to ``FeaturesFastPath`` before FastAPI's
    middleware stack (every other request goes through it)."""

    fast_path: FeaturesFastPath | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.fast_path is not None and FeaturesFastPath.handles(scope):
            await self.fast_path(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _telemetry_options(settings: ServingSettings) -> dict[str, Any]:
    """FastAPI (0.16x on) checks OpenTelemetry's global providers on every request unless
    told not to; older releases have no such option."""
    if settings.opentelemetry or "telemetry" not in inspect.signature(FastAPI).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def _routers(context: ServingContext,
             extra: Iterable[APIRouter | RouterFactory]) -> list[APIRouter]:
    factories: list[APIRouter | RouterFactory] = list(extra)
    for dotted in context.settings.routers:
        module_name, _, attribute = dotted.partition(":")
        factories.append(getattr(importlib.import_module(module_name), attribute))
    for entry in entry_points(group=ROUTER_ENTRY_POINTS):
        factories.append(entry.load())
    return [item if isinstance(item, APIRouter) else item(context) for item in factories]


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> ORJSONResponse:
    return ORJSONResponse({"detail": detail}, status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI, context: ServingContext) -> None:
    async def known(_: Request, error: Exception) -> ORJSONResponse:
        status, headers, detail = error_answer(error)  # type: ignore[misc]
        return _error(status, detail, headers)

    for kind in (OnlineRequestError, StoreUnavailableError, RequestValidationError):
        app.add_exception_handler(kind, known)

    @app.exception_handler(ClientDisconnect)
    async def gone(_: Request, __: ClientDisconnect) -> Response:
        # the client left mid-body: nobody reads this answer; counted, not a server error
        return Response(status_code=CLIENT_CLOSED)


async def _parse(request: Request, model: type[Any]) -> Any:
    return parse_body(await request.body(), model)


def _core_router(context: ServingContext) -> APIRouter:
    router = APIRouter()
    calls = context.store_calls
    # tokens are fixed per app: without any, skip the per-request dependency entirely
    secured = [Depends(require_token)] if context.tokens else []
    bearer = SECURED if context.tokens else {}

    @router.post("/features", dependencies=secured, summary="Online features",
                 openapi_extra={**_body_schema(FeaturesRequest), **bearer},
                 responses={200: {"model": FeaturesResponse},
                            400: _answer("Not JSON, unknown feature or view, view not online, "
                                         "bad entity keys or as_of"),
                            404: _answer("Unknown bundle"),
                            409: _answer("The bundle's feature definitions changed since it "
                                         "was built (the features named)")})
    async def features(request: Request) -> Response:
        # requests reach FeaturesFastPath first; this handler serves the same answer to
        # anything that mounts the router without it
        return Response(await answer_features(context, await request.body()),
                        media_type="application/json")

    @router.post("/similar", dependencies=secured, summary="Nearest entities by embedding",
                 openapi_extra={**_body_schema(SimilarRequest), **bearer},
                 responses={200: {"model": SimilarResponse},
                            400: _answer("Not JSON, unknown or offline view, bad k, vector, "
                                         "entity or filter")})
    async def similar(request: Request) -> ORJSONResponse:
        body: SimilarRequest = await _parse(request, SimilarRequest)
        found = await calls.run(lambda: find_similar(
            context.client, body.view, body.vector, body.k, body.filter, body.feature,
            body.entity, max_k=context.settings.max_k, fresh=False))
        return ORJSONResponse({"view": body.view, "results": [
            {"entity": item.entity, "distance": item.distance} for item in found]})

    @router.get("/health", summary="Liveness and store reachability",
                description="Where the store is, and why it is down, only for authorized "
                            "requests (a valid bearer token, or auth off).",
                responses={200: {"model": HealthResponse}},
                openapi_extra={"security": [{}, {BEARER: []}]})
    async def health(request: Request) -> ORJSONResponse:
        detailed = authorized(request)
        try:
            await calls.ping()
        except StoreUnavailableError as error:
            reason = f": {error}" if detailed else ""
            return _error(503, f"online store unavailable{reason}", RETRY_AFTER)
        if not detailed:
            return ORJSONResponse({"status": "ok"})
        return ORJSONResponse({"status": "ok", "store": context.client.store.describe()})

    @router.get("/metrics", dependencies=secured, summary="Prometheus metrics",
                response_class=PlainTextResponse, openapi_extra=bearer)
    async def metrics() -> Response:
        return Response(context.metrics.render(),
                        media_type="text/plain; version=0.0.4; charset=utf-8")

    return router


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, "model": ErrorResponse}


def _body_schema(model: type[Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model.model_json_schema()}}}}


def create_app_from_env() -> FastAPI:
    """App factory for uvicorn workers: the project from ``FEATUREOPS_SERVE_PROJECT_DIR``
    and ``FEATUREOPS_SERVE_MANIFEST`` (set by ``featureops serve``)."""
    import os

    return create_app(Project.locate(os.environ.get("FEATUREOPS_SERVE_PROJECT_DIR"),
                                     os.environ.get("FEATUREOPS_SERVE_MANIFEST")),
                      freeze_gc=True)
