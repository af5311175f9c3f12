"""ComfyUI: the server's status, saved workflows with their parameter forms, and jobs."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema
from starlette.concurrency import run_in_threadpool

from hollywool.api.deps import get_studio
from hollywool.api.jobs import check_session
from hollywool.engines.comfyui.parameters import Parameter, Pin
from hollywool.engines.comfyui.validation import Problem
from hollywool.errors import InvalidInputError
from hollywool.jobs.models import JobStatus, JobView
from hollywool.studio import Studio

router = APIRouter(prefix="/api/comfyui", tags=["comfyui"])


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
    url: str
    version: str | None
    python_version: str | None
    pytorch_version: str | None
    devices: list[ComfyDevice]
    queue_running: int
    queue_pending: int
    queue_length: int


class ComfyUnreachable(BaseModel):
    reachable: Literal[False]
    url: str
    error: str


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


class WorkflowPage(BaseModel):
    items: list[WorkflowSummary]
    total: int
    limit: int
    offset: int


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


class WorkflowCheck(BaseModel):
    ok: bool
    server_checked: bool
    problems: list[Problem]


class ComfyJobView(JobView):
    """A ComfyUI job: the job view with the workflow's values in place of `params`."""

    params: SkipJsonSchema[dict[str, Any] | None] = Field(None, exclude=True)
    workflow_id: str | None
    parameters: dict[str, Any]
    batch_index: int
    prompt_id: str | None
    outputs: dict[str, Any]


class ComfyJobPage(BaseModel):
    items: list[ComfyJobView]
    total: int
    limit: int
    offset: int


def _comfy(studio: Studio = Depends(get_studio)):  # noqa: ANN202
    return studio.comfyui


@router.get("/status", response_model=ComfyStatus)
def server_status(comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.status()


@router.get("/object-info")
def object_info(refresh: bool = False, node_class: str | None = None, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    info = comfy.object_info(refresh=refresh)
    if node_class is not None:
        return {node_class: info[node_class]} if node_class in info else {}
    return info


@router.post("/upload")
async def upload_image(request: Request, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    form = await request.form()
    upload = form.get("image") or form.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise InvalidInputError("image: send the image as a multipart file field 'image'", field="image")
    data = await upload.read()
    return await run_in_threadpool(comfy.upload_image, upload.filename or "upload.png", data)


@router.post("/workflows", response_model=WorkflowImported, status_code=201)
async def import_workflow(request: Request, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    """JSON `{name, workflow_json}` in either format, or a multipart `file` (JSON, PNG or WebP)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        text = form.get("workflow_json")
        name, description = form.get("name"), form.get("description")
        if upload is not None and hasattr(upload, "read"):
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
    try:
        body = WorkflowImport.model_validate(await request.json())
    except ValueError as exc:
        raise InvalidInputError(f"body: expected JSON {{name, workflow_json}} ({str(exc)[:200]})") from None
    return await run_in_threadpool(
        lambda: comfy.import_workflow(workflow_json=body.workflow_json, name=body.name, description=body.description)
    )


@router.get("/workflows", response_model=WorkflowPage)
def list_workflows(
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
    comfy=Depends(_comfy),  # noqa: ANN001
) -> dict[str, Any]:
    items, total = comfy.list(limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/workflows/{workflow_id}", response_model=WorkflowView)
def get_workflow(workflow_id: str, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.view(comfy.get(workflow_id))


@router.put("/workflows/{workflow_id}", response_model=WorkflowView)
def update_workflow(workflow_id: str, body: WorkflowUpdate, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    changes = body.model_dump(exclude_unset=True)
    if "pins" in changes:
        changes["pins"] = [p.model_dump() for p in body.pins or []]
    return comfy.update(workflow_id, changes)


@router.delete("/workflows/{workflow_id}")
def delete_workflow(workflow_id: str, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    comfy.delete(workflow_id)
    return {"deleted": True, "id": workflow_id}


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
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    comfy=Depends(_comfy),  # noqa: ANN001
) -> dict[str, Any]:
    jobs, total = comfy.list_jobs(limit, offset, status)
    return {"items": [comfy.job_view(j) for j in jobs], "total": total, "limit": limit, "offset": offset}


@router.get("/jobs/{job_id}", response_model=ComfyJobView)
def get_job(job_id: str, comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.job_view(comfy.get_job(job_id))


@router.post("/jobs/{job_id}/cancel", response_model=ComfyJobView)
def cancel_job(job_id: str, studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    studio.comfyui.get_job(job_id)
    return studio.comfyui.job_view(studio.jobs.cancel(job_id))


@router.post("/interrupt")
def interrupt(comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.interrupt()


@router.post("/clear-queue")
def clear_queue(comfy=Depends(_comfy)) -> dict[str, Any]:  # noqa: ANN001
    return comfy.clear_queue()
