"""ComfyUI: the server's status, saved workflows with their parameter forms, and jobs."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, computed_field
from pydantic.json_schema import SkipJsonSchema
from starlette.concurrency import run_in_threadpool

from hollywool.api.deps import get_studio
from hollywool.api.jobs import check_session
from hollywool.engines.comfyui.limits import MAX_WORKFLOW_BYTES, parse_json, too_large
from hollywool.engines.comfyui.parameters import Parameter, Pin
from hollywool.engines.comfyui.validation import Problem
from hollywool.errors import InvalidInputError
from hollywool.jobs.models import ACTIVE_STATUSES, JobStatus, JobView
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


class ComfyJobAccepted(BaseModel):
    job_id: str
    status: str
    message: str
    job_ids: list[str]


class CheckRequest(BaseModel):
    parameters: dict[str, Any] = Field(default_factory=dict)


class ComfyDevice(BaseModel):
    name: str | None = None
    type: str | None = None
    index: int | None = None
    vram_total: int | float | None = None
    vram_free: int | float | None = None


class ComfyReachable(BaseModel):
    reachable: Literal[True]
    available: Literal[True] = Field(True, description="the seed's name for reachable")
    url: str
    server_url: str = Field(description="the seed's name for url")
    error: None = None
    version: str | None
    python_version: str | None
    pytorch_version: str | None
    devices: list[ComfyDevice]
    queue_running: int
    queue_pending: int
    queue_length: int


class ComfyUnreachable(BaseModel):
    reachable: Literal[False]
    available: Literal[False] = Field(False, description="the seed's name for reachable")
    url: str
    server_url: str = Field(description="the seed's name for url")
    error: str = Field(description="what went wrong and what to do, as a sentence")
    queue_running: int = 0
    queue_pending: int = 0


# A plain union: a discriminator on a bool literal would be published in OpenAPI as the strings "true"/"false".
ComfyStatus = ComfyReachable | ComfyUnreachable


class WorkflowSummary(BaseModel):
    id: str
    workflow_id: str
    name: str
    description: str | None
    source_format: str
    node_count: int
    parameter_count: int
    thumbnail_asset_id: str | None
    thumbnail_url: str | None
    created_at: float
    updated_at: float


class WorkflowView(BaseModel):
    """A saved workflow with its parameter form (hollywool/engines/comfyui/service.py ComfyUIService.view)."""

    id: str
    workflow_id: str
    name: str
    description: str | None
    thumbnail_asset_id: str | None
    thumbnail_url: str | None
    source_format: str
    api_graph: dict[str, Any]
    workflow_json: dict[str, Any] = Field(description="the API graph (the same as api_graph)")
    editor_workflow: dict[str, Any] | None
    node_count: int
    parameters: list[Parameter]
    pins: list[Pin]
    server_checked: bool
    created_at: float
    updated_at: float


class WorkflowImported(WorkflowView):
    warnings: list[str]
    problems: list[Problem]
    message: str


class ObjectInfo(BaseModel):
    """The server's node definitions `{class name: definition}`, with the seed's `nodes` (the class
    names) and `total` beside them."""

    model_config = ConfigDict(extra="allow")

    nodes: list[str]
    total: int


class Message(BaseModel):
    message: str


class WorkflowDeleted(Message):
    deleted: bool
    id: str


class Interrupted(Message):
    interrupted: bool
    cancelled_jobs: list[str]


class QueueCleared(Message):
    cancelled_jobs: list[str]
    server_cleared: bool


class WorkflowCheck(BaseModel):
    ok: bool
    server_checked: bool
    problems: list[Problem]


class ComfyJobView(JobView):
    """A ComfyUI job: the job view with the workflow's values in place of `params`."""

    params: SkipJsonSchema[dict[str, Any] | None] = Field(None, exclude=True)
    workflow_id: str | None
    workflow_name: str | None = Field(None, description="the workflow's name when the job was queued")
    parameters: dict[str, Any]
    batch_index: int
    prompt_id: str | None
    current_node: str | None = Field(None, description="the seed's field; never set (see message)")
    outputs: dict[str, Any]


class ComfyJobPage(BaseModel):
    items: list[ComfyJobView]
    total: int
    limit: int
    offset: int

    @computed_field(description="the seed's name for `items`")
    @property
    def jobs(self) -> list[ComfyJobView]:
        return self.items


def _comfy(studio: Studio = Depends(get_studio)):  # noqa: ANN202
    return studio.comfyui


@router.get("/status", response_model=ComfyStatus)
def server_status(comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.status()


@router.get("/object-info", response_model=ObjectInfo)
def object_info(
    refresh: bool = False,
    node_class: str | None = Query(None, max_length=500),
    comfy=Depends(_comfy),  # noqa: ANN001
) -> dict[str, Any]:
    info = comfy.object_info(refresh=refresh)
    if node_class is not None:
        info = {node_class: info[node_class]} if node_class in info else {}
    return {**info, "nodes": sorted(info), "total": len(info)}


@router.post("/upload")
async def upload_image(request: Request, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    form = await request.form()
    upload = form.get("image") or form.get("file")
    if upload is None or not hasattr(upload, "read"):
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


@router.post("/workflows", response_model=WorkflowImported, status_code=201)
async def import_workflow(request: Request, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    """JSON `{name, workflow_json}` in either format, or a multipart `file` (JSON, PNG or WebP).
    At most 20 MB and 50,000 nodes (413 / 422)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise too_large(int(declared), "body")
        form = await request.form(max_part_size=MAX_BODY_BYTES)
        upload = form.get("file")
        text = form.get("workflow_json")
        name, description = form.get("name"), form.get("description")
        if upload is not None and hasattr(upload, "read"):
            if (upload.size or 0) > MAX_BODY_BYTES:
                raise too_large(upload.size, "file")
            data = await upload.read()
            return await run_in_threadpool(
                lambda: comfy.import_workflow(
                    file_bytes=data, filename=upload.filename, name=name, description=description
                )
            )
        if text is None:
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


@router.get("/workflows", response_model=list[WorkflowSummary])
def list_workflows(
    response: Response,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    comfy=Depends(_comfy),  # noqa: ANN001
) -> list[dict[str, Any]]:
    """Newest first, a plain list as the seed answered; the number saved in all is `X-Total-Count`."""
    items, total = comfy.list(limit, offset)
    response.headers["X-Total-Count"] = str(total)
    return items


@router.get("/workflows/{workflow_id}", response_model=WorkflowView)
def get_workflow(workflow_id: str, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.view(comfy.get(workflow_id))


@router.put("/workflows/{workflow_id}", response_model=WorkflowView)
def update_workflow(workflow_id: str, body: WorkflowUpdate, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    changes = body.model_dump(exclude_unset=True)
    if "pins" in changes:
        changes["pins"] = [p.model_dump() for p in body.pins or []]
    return comfy.update(workflow_id, changes)


@router.delete("/workflows/{workflow_id}", response_model=WorkflowDeleted)
def delete_workflow(workflow_id: str, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    comfy.delete(workflow_id)
    return {"deleted": True, "id": workflow_id, "message": "Workflow deleted"}


@router.post("/workflows/{workflow_id}/pins", response_model=WorkflowView)
def pin_input(workflow_id: str, pin: Pin, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.pin(workflow_id, pin)


@router.delete("/workflows/{workflow_id}/pins/{node_id}/{input_name}", response_model=WorkflowView)
def unpin_input(workflow_id: str, node_id: str, input_name: str, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.unpin(workflow_id, node_id, input_name)


@router.get("/workflows/{workflow_id}/export")
def export_workflow(
    workflow_id: str,
    format: Literal["api", "editor"] = "api",
    comfy=Depends(_comfy),  # noqa: ANN001
) -> JSONResponse:
    workflow = comfy.get(workflow_id)
    data = comfy.export(workflow_id, format)
    safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in workflow.name).strip() or "workflow"
    suffix = "_api" if format == "api" else ""
    headers = {"Content-Disposition": f'attachment; filename="{safe}{suffix}.json"'}
    return JSONResponse(data, headers=headers)


@router.post("/workflows/{workflow_id}/check", response_model=WorkflowCheck)
def check_workflow(workflow_id: str, body: CheckRequest, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    """The pre-run check without queueing: the problems the server would find."""
    _graph, problems, checked = comfy.check(workflow_id, body.parameters)
    return {"ok": not problems, "server_checked": checked, "problems": [p.model_dump() for p in problems]}


@router.post("/jobs", response_model=ComfyJobAccepted, status_code=201)
def create_job(body: ComfyJobRequest, studio: Studio = Depends(get_studio)) -> ComfyJobAccepted:
    check_session(studio, body.session_id)
    jobs, message = studio.comfyui.submit(
        body.workflow_id, body.parameters, session_id=body.session_id, batch_count=body.batch_count
    )
    return ComfyJobAccepted(job_id=jobs[0].id, status=jobs[0].status, message=message, job_ids=[j.id for j in jobs])


@router.get("/jobs", response_model=ComfyJobPage)
def list_jobs(
    status: list[JobStatus] | None = Query(None),
    session_id: str | None = Query(None, max_length=200),
    active_only: bool = Query(False, description="only queued and running jobs (the seed's filter)"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    comfy=Depends(_comfy),  # noqa: ANN001
) -> dict[str, Any]:
    if active_only:
        status = [s for s in (status or list(JobStatus)) if s in ACTIVE_STATUSES]
        if not status:  # e.g. status=completed&active_only=true
            return {"items": [], "total": 0, "limit": limit, "offset": offset}
    jobs, total = comfy.list_jobs(limit, offset, status, session_id=session_id)
    views = [comfy.job_view(j) for j in jobs]
    return {"items": views, "total": total, "limit": limit, "offset": offset}


@router.get("/jobs/{job_id}", response_model=ComfyJobView)
def get_job(job_id: str, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.job_view(comfy.get_job(job_id))


@router.post("/jobs/{job_id}/cancel", response_model=ComfyJobView)
def cancel_job(job_id: str, studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    studio.comfyui.get_job(job_id)
    return studio.comfyui.job_view(studio.jobs.cancel(job_id))


@router.post("/interrupt", response_model=Interrupted)
def interrupt(comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.interrupt()


@router.post("/clear-queue", response_model=QueueCleared)
def clear_queue(comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.clear_queue()
