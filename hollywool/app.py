"""Builds the FastAPI app: settings -> studio (services) -> routers, middleware, static files."""

from __future__ import annotations

import contextlib
import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse

from hollywool import __version__
from hollywool.api import (
    a1111_api,
    assets,
    civitai,
    comfyui,
    control,
    events,
    generate,
    jobs,
    loras,
    models,
    openai_api,
    sessions,
    system,
)
from hollywool.api import settings as settings_api
from hollywool.api import video as video_api
from hollywool.api.body_limits import BodyLimits, too_large
from hollywool.api.content_policy import OutputFiles, SecurityHeaders, UiPolicy
from hollywool.api.log_redaction import redact_uvicorn_logs
from hollywool.api.origins import CrossSiteGuard, HostGuard, OriginPolicy
from hollywool.api.request_logging import RequestLogger
from hollywool.api.security import TokenGuard
from hollywool.compat.a1111 import A1111
from hollywool.errors import StudioError
from hollywool.settings import Settings
from hollywool.studio import Studio

log = logging.getLogger("hollywool")


def _field_of(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def create_app(settings: Settings | None = None, studio: Studio | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        from hollywool.models import warmup

        # Heavy imports in a background thread; started before the queue, so that a job resumed at start-up
        # waits for them instead of importing diffusers beside them (a half-imported module fails).
        app.state.warmup = warmup.start()
        app.state.studio.start()
        try:
            yield
        finally:
            app.state.studio.stop()

    app = FastAPI(title="HollyWool", version=__version__, lifespan=lifespan)
    app.state.studio = studio or Studio(settings)
    app.state.settings = settings
    app.state.origin_policy = policy = OriginPolicy(settings)
    redact_uvicorn_logs()

    @app.exception_handler(StudioError)
    async def studio_error(req: Request, exc: StudioError) -> JSONResponse:
        if req.url.path.startswith(openai_api.PREFIX + "/"):
            return openai_api.openai_error(exc.status_code, exc.message, exc.field)
        if req.url.path.startswith(a1111_api.PREFIX + "/"):
            return a1111_api.a1111_error(exc.status_code, exc.message, exc.field)
        body = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        if exc.detail is not None:
            body["errors"] = exc.detail
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = _field_of(tuple(first["loc"]))
        if req.url.path.startswith(openai_api.PREFIX + "/"):
            return openai_api.openai_error(400, f"{field}: {first['msg']}", field)
        if req.url.path.startswith(a1111_api.PREFIX + "/"):  # A1111 answers FastAPI's own shape
            return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
        clean = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e.get("type")} for e in errors]
        return JSONResponse({"detail": f"{field}: {first['msg']}", "field": field, "errors": clean}, status_code=422)

    app.add_exception_handler(413, too_large)

    for router in (system.router, settings_api.router, jobs.router, assets.router, events.router, *sessions.routers):
        app.include_router(router)
    app.include_router(civitai.router)
    for router in video_api.routers:
        app.include_router(router)
    app.include_router(comfyui.router)
    from hollywool.api import bulk, costs, providers

    for router in (providers.router, bulk.router, costs.router):
        app.include_router(router)
    for router in (*models.routers, loras.router, control.router, generate.router, openai_api.router, a1111_api.router):
        app.include_router(router)
    app.state.a1111 = A1111(app.state.studio)

    settings.outputs_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/outputs", OutputFiles(directory=settings.outputs_dir), name="outputs")
    _mount_web(app, settings)

    # Added innermost first: a request meets HostGuard, then TokenGuard, CrossSiteGuard, BodyLimits.
    app.add_middleware(RequestLogger)
    app.add_middleware(BodyLimits)
    app.add_middleware(CrossSiteGuard, policy=policy)
    if settings.token:
        app.add_middleware(TokenGuard, token=settings.token)
    app.add_middleware(HostGuard, policy=policy)
    app.add_middleware(SecurityHeaders, policy=UiPolicy(settings.web_dir))
    return app


_ABOUT = {
    "name": "HollyWool",
    "version": __version__,
    "description": "A local AI image and video studio: diffusion models on your own GPU behind a web studio.",
}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _mount_web(app: FastAPI, settings: Settings) -> None:
    """Serve the built web UI at `/`, with client-side routes falling back to index.html. An API client
    asking for `/` (no text/html in Accept) gets the seed's `{name, version, description}`."""
    web = settings.web_dir
    if not web or not (web / "index.html").exists():

        @app.get("/", include_in_schema=False)
        def no_ui() -> JSONResponse:
            return JSONResponse({**_ABOUT, "detail": "The web UI is not built: run `npm --prefix web run build`."})

        return
    root = web.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str, request: Request) -> FileResponse:
        if not path and not _wants_html(request):
            return JSONResponse(_ABOUT)
        if path.startswith(("api/", "outputs/", "v1/", "sdapi/")):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        candidate = (web / path).resolve()
        if path and candidate.is_file() and root in candidate.parents:
            return FileResponse(candidate)
        if "." in path.rsplit("/", 1)[-1]:  # a file that is not there, not a client-side route
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return FileResponse(web / "index.html")
