"""What the ComfyUI service answers: the typed views the router returns as they are.

The class names are the OpenAPI schema names the web UI's types are generated from; the seed's
field names (shared/notes/seed-api.md, routers/comfyui.py) stay beside the studio's own. Raw
ComfyUI JSON (API graphs, editor workflows, node definitions, outputs) stays an open mapping.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field
from pydantic.json_schema import SkipJsonSchema

from hollywool.engines.comfyui.parameters import Parameter, Pin
from hollywool.engines.comfyui.validation import Problem
from hollywool.jobs.models import JobView


class ComfyDevice(BaseModel):
    name: str | None = None
    type: str | None = None
    index: int | None = None
    vram_total: int | float | None = None
    vram_free: int | float | None = None


class ComfyReachable(BaseModel):
    reachable: Literal[True]
    available: Literal[True] = Field(default=True, description="the seed's name for reachable")
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
    available: Literal[False] = Field(default=False, description="the seed's name for reachable")
    url: str
    server_url: str = Field(description="the seed's name for url")
    error: str = Field(description="what went wrong and what to do, as a sentence")
    queue_running: int = 0
    queue_pending: int = 0


# A plain union: a discriminator on a bool literal would be published in OpenAPI as the strings "true"/"false".
ComfyStatus = ComfyReachable | ComfyUnreachable


class ComfyUpload(BaseModel):
    """ComfyUI's answer to an upload: `name` is the file on the server, the value for an IMAGE input."""

    model_config = ConfigDict(extra="allow")  # whatever else the server says is passed on

    name: str
    subfolder: str = ""
    type: str = "input"


class ObjectInfo(BaseModel):
    """The server's node definitions `{class name: definition}`, with the seed's `nodes` (the class
    names) and `total` beside them."""

    model_config = ConfigDict(extra="allow")

    nodes: list[str]
    total: int


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
    """A saved workflow with its parameter form (ComfyService.view)."""

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


class WorkflowExport(BaseModel):
    """A workflow file to download: the JSON as ComfyUI reads it, and a file name for it."""

    filename: str
    workflow: dict[str, Any]


class WorkflowCheck(BaseModel):
    ok: bool
    server_checked: bool
    problems: list[Problem]


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


class ComfyJobAccepted(BaseModel):
    job_id: str
    status: str
    message: str
    job_ids: list[str]


class ComfyJobView(JobView):
    """A ComfyUI job: the job view with the workflow's values in place of `params`."""

    params: SkipJsonSchema[dict[str, Any]] = Field(default_factory=dict, exclude=True)
    workflow_id: str | None
    workflow_name: str | None = Field(default=None, description="the workflow's name when the job was queued")
    parameters: dict[str, Any]
    batch_index: int
    prompt_id: str | None
    current_node: str | None = Field(default=None, description="the seed's field; never set (see message)")
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
