"""Build the FastAPI application: routers of every context, errors, metrics, health."""

from __future__ import annotations

import importlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline import __version__
from careline.bootstrap import booking_policy, complaint_policy
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.directory import service as directory_service
from careline.kit.clock import Clock
from careline.kit.errors import CarelineError, NotSignedIn
from careline.membership.service import resolve_card_patients
from careline.web.deps import get_language, render
from careline.web.i18n import gettext
from careline.web.paths import STATIC

log = structlog.get_logger(__name__)

# Contexts whose endpoints module exposes ``api`` and/or ``pages`` routers.
CONTEXTS = (
    "staff",
    "directory",
    "patients",
    "membership",
    "scheduling",
    "complaints",
    "ivr",
    "voicemail",
    "acd",
    "consultations",
    "campaigns",
    "integrations",
)

REQUESTS = Counter("careline_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("careline_http_request_seconds", "HTTP request latency", ["route"])


def create_app(settings: Settings, engine: AsyncEngine, *, clock: Clock | None = None) -> FastAPI:
    """Return the web application bound to ``engine``."""
    app = FastAPI(
        lifespan=_load_hospital,
        title="Careline",
        version=__version__,
        description="Hospital contact center: directory, patients, staff and more.",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock or Clock(settings.zone)
    app.state.complaints_policy = complaint_policy(settings)
    app.state.booking_policy = booking_policy(settings)
    app.state.card_resolver = resolve_card_patients
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for name in CONTEXTS:
        module = importlib.import_module(f"careline.{name}.endpoints")
        for router_name in ("api", "pages"):
            router = getattr(module, router_name, None)
            if router is not None:
                app.include_router(router)
    _add_operations(app)
    _add_error_handlers(app)
    return app


@asynccontextmanager
async def _load_hospital(app: FastAPI) -> AsyncIterator[None]:
    """Keep the hospital profile at hand for every page's header."""
    async with UnitOfWork(app.state.engine) as uow:
        app.state.hospital = await directory_service.get_hospital(uow)
    yield


def _add_operations(app: FastAPI) -> None:
    @app.middleware("http")
    async def measure(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        LATENCY.labels(path).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        return response

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> JSONResponse:
        try:
            async with request.app.state.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
            log.warning("health_check_failed", error=type(exc).__name__)
            return JSONResponse({"status": "unhealthy", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up", "version": __version__})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/fhir/")) or "application/json" in (
        request.headers.get("accept", "")
    )


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CarelineError)
    async def careline_error(request: Request, exc: CarelineError) -> Response:
        language = get_language(request)
        message = gettext(language, exc.message)
        if _wants_json(request):
            body = {"error_id": exc.error_id, "message": message, "field": exc.field}
            return JSONResponse(body, status_code=exc.status_code)
        if isinstance(exc, NotSignedIn):
            return RedirectResponse(f"/staff/sign-in?next={request.url.path}", status_code=303)
        return render(
            request,
            "error.html",
            {"message": message, "error_id": exc.error_id},
            status_code=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in err["loc"][1:]), "message": err["msg"]}
            for err in exc.errors()
        ]
        if _wants_json(request):
            return JSONResponse(
                {"error_id": "invalid_input", "message": "Invalid input.", "errors": errors},
                status_code=422,
            )
        language = get_language(request)
        return render(
            request,
            "error.html",
            {"message": gettext(language, "Invalid input."), "errors": errors},
            status_code=422,
        )
