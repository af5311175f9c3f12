"""ComfyUI: the server's status, saved workflows with their parameter forms, and jobs."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hollywool.api.deps import get_studio
from hollywool.api.jobs import check_session
from hollywool.engines.comfyui.limits import MAX_WORKFLOW_BYTES, parse_json, too_large
from hollywool.engines.comfyui.parameters import Pin
from hollywool.engines.comfyui.service import ComfyService
from hollywool.engines.comfyui.views import (
    ComfyJobAccepted,
    ComfyJobPage,
    ComfyJobView,
    ComfyStatus,
    ComfyUpload,
    Interrupted,
    ObjectInfo,
    QueueCleared,
    WorkflowCheck,
    WorkflowDeleted,
    WorkflowImported,
    WorkflowSummary,
    WorkflowView,
)
from hollywool.errors import InvalidInputError
from hollywool.jobs.models import JobStatus
from hollywool.studio import Studio

router = APIRouter(prefix="/api/comfyui", tags=["comfyui"])

MAX_BODY_BYTES = MAX_WORKFLOW_BYTES + 64 * 1024  # the workflow and the form's other fields
MAX_OFFSET = 1_000_000_000  # beyond any list; SQLite's 64-bit integers overflow past 2**63


class WorkflowImport(BaseModel):
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    workflow_json: Any = Field(..., description="either format, as a JSON object or a JSON string")


class WorkflowUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    pins: list[Pin] | None = None


class ComfyJobRequest(BaseModel):
    workflow_id: str
    parameters: dict[str, Any] = Field(default_factory=dict, description='{"<node_id>.<input_name>": value}')
    session_id: str | None = None
    batch_count: int = Field(1, ge=1, le=100, description="runs N times with seeds seed, seed+1, ...")


class CheckRequest(BaseModel):
    parameters: dict[str, Any] = Field(default_factory=dict)


def _comfy(studio: Studio = Depends(get_studio)) -> ComfyService:
    return studio.comfyui


@router.get("/status")
def server_status(comfy: ComfyService = Depends(_comfy)) -> ComfyStatus:
    return comfy.status()


@router.get("/object-info")
def object_info(
    refresh: bool = False,
    node_class: str | None = Query(None, max_length=500),
    comfy: ComfyService = Depends(_comfy),
) -> ObjectInfo:
    return comfy.object_info(refresh=refresh, node_class=node_class)


@router.post("/upload")
async def upload_image(request: Request, comfy: ComfyService = Depends(_comfy)) -> ComfyUpload:
    form = await request.form()
    upload = form.get("image") or form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInputError("image: send the image as a multipart file field 'image'", field="image")
    data = await upload.read()
    return await run_in_threadpool(comfy.upload_image, upload.filename or "upload.png", data)


async def _read_body(request: Request) -> bytes:
    """The request body, refused (413) past MAX_BODY_BYTES before more of it is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large(int(declared), "body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large(size, "body")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/workflows", status_code=201)
async def import_workflow(request: Request, comfy: ComfyService = Depends(_comfy)) -> WorkflowImported:
    """JSON `{name, workflow_json}` in either format, or a multipart `file` (JSON, PNG or WebP).
    At most 20 MB and 50,000 nodes (413 / 422)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise too_large(int(declared), "body")
        form = await request.form(max_part_size=MAX_BODY_BYTES)
        upload = form.get("file")
        text = form.get("workflow_json")
        name, description = _text_field(form.get("name")), _text_field(form.get("description"))
        if upload is not None and not isinstance(upload, str):
            if (upload.size or 0) > MAX_BODY_BYTES:
                raise too_large(upload.size or 0, "file")
            data = await upload.read()
            return await run_in_threadpool(
                lambda: comfy.import_workflow(
                    file_bytes=data, filename=upload.filename, name=name, description=description
                )
            )
        if not isinstance(text, str):  # nothing, or workflow_json sent as a file
            raise InvalidInputError("file: send a workflow file or workflow_json", field="file")
        return await run_in_threadpool(
            lambda: comfy.import_workflow(workflow_json=text, name=name, description=description)
        )
    raw = await _read_body(request)
    try:
        body = WorkflowImport.model_validate(parse_json(raw, "body"))
    except ValueError as exc:
        raise InvalidInputError(f"body: expected JSON {{name, workflow_json}} ({str(exc)[:200]})") from None
    return await run_in_threadpool(
        lambda: comfy.import_workflow(workflow_json=body.workflow_json, name=body.name, description=body.description)
    )


@router.get("/workflows")
def list_workflows(
    response: Response,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    comfy: ComfyService = Depends(_comfy),
) -> list[WorkflowSummary]:
    """Newest first, a plain list as the seed answered; the number saved in all is `X-Total-Count`."""
    items, total = comfy.list(limit, offset)
    response.headers["X-Total-Count"] = str(total)
    return items


@router.get("/workflows/{workflow_id}")
def get_workflow(workflow_id: str, comfy: ComfyService = Depends(_comfy)) -> WorkflowView:
    return comfy.show(workflow_id)


@router.put("/workflows/{workflow_id}")
def update_workflow(workflow_id: str, body: WorkflowUpdate, comfy: ComfyService = Depends(_comfy)) -> WorkflowView:
    changes = body.model_dump(exclude_unset=True)
    if "pins" in changes:
        changes["pins"] = [p.model_dump() for p in body.pins or []]
    return comfy.update(workflow_id, changes)


@router.delete("/workflows/{workflow_id}")
def delete_workflow(workflow_id: str, comfy: ComfyService = Depends(_comfy)) -> WorkflowDeleted:
    return comfy.delete(workflow_id)


@router.post("/workflows/{workflow_id}/pins")
def pin_input(workflow_id: str, pin: Pin, comfy: ComfyService = Depends(_comfy)) -> WorkflowView:
    return comfy.pin(workflow_id, pin)


@router.delete("/workflows/{workflow_id}/pins/{node_id}/{input_name}")
def unpin_input(workflow_id: str, node_id: str, input_name: str, comfy: ComfyService = Depends(_comfy)) -> WorkflowView:
    return comfy.unpin(workflow_id, node_id, input_name)


@router.get("/workflows/{workflow_id}/export")
def export_workflow(
    workflow_id: str,
    format: Literal["api", "editor"] = "api",
    comfy: ComfyService = Depends(_comfy),
) -> JSONResponse:
    """The workflow file itself (ComfyUI's JSON, not a studio view), as a download."""
    export = comfy.export(workflow_id, format)
    headers = {"Content-Disposition": f'attachment; filename="{export.filename}"'}
    return JSONResponse(export.workflow, headers=headers)


@router.post("/workflows/{workflow_id}/check")
def check_workflow(workflow_id: str, body: CheckRequest, comfy: ComfyService = Depends(_comfy)) -> WorkflowCheck:
    """The pre-run check without queueing: the problems the server would find."""
    return comfy.check(workflow_id, body.parameters)


@router.post("/jobs", status_code=201)
def create_job(body: ComfyJobRequest, studio: Studio = Depends(get_studio)) -> ComfyJobAccepted:
    check_session(studio, body.session_id)
    return studio.comfyui.submit(
        body.workflow_id, body.parameters, session_id=body.session_id, batch_count=body.batch_count
    )


@router.get("/jobs")
def list_jobs(
    status: list[JobStatus] | None = Query(None),
    session_id: str | None = Query(None, max_length=200),
    active_only: bool = Query(False, description="only queued and running jobs (the seed's filter)"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    comfy: ComfyService = Depends(_comfy),
) -> ComfyJobPage:
    return comfy.list_jobs(limit, offset, status, session_id=session_id, active_only=active_only)


@router.get("/jobs/{job_id}")
def get_job(job_id: str, comfy: ComfyService = Depends(_comfy)) -> ComfyJobView:
    return comfy.show_job(job_id)


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, comfy: ComfyService = Depends(_comfy)) -> ComfyJobView:
    return comfy.cancel_job(job_id)


@router.post("/interrupt")
def interrupt(comfy: ComfyService = Depends(_comfy)) -> Interrupted:
    return comfy.interrupt()


@router.post("/clear-queue")
def clear_queue(comfy: ComfyService = Depends(_comfy)) -> QueueCleared:
    return comfy.clear_queue()


def _text_field(value: object) -> str | None:
    """A multipart text field; a file sent in its place is no name or description."""
    return value if isinstance(value, str) else None
