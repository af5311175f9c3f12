"""The ComfyUI engine: the server connection, saved workflows, and submitting their jobs.

Routers call this and nothing else of the engine, and return its typed views (views.py) as they
are. The server URL is asked on each use (service_urls.py: the address chosen in Settings, else
HOLLYWOOL_COMFYUI_URL / the default), so changing it in Settings takes effect without a restart.
"""

from __future__ import annotations

import copy
import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import EllipsisType
from typing import Any

from hollywool.engines.comfyui.client import ComfyClient, ComfyUnreachable
from hollywool.engines.comfyui.job import KIND, ComfyConfig, ComfyJobParams, ComfyRun
from hollywool.engines.comfyui.limits import (
    MAX_WORKFLOW_BYTES,
    check_json,
    check_node_count,
    parse_json,
    too_large,
)
from hollywool.engines.comfyui.parameters import Parameter, Pin, find_parameters, seed_keys
from hollywool.engines.comfyui.png_workflow import looks_like_image, read_embedded
from hollywool.engines.comfyui.validation import GraphProblems, Problem, apply_values, check_graph
from hollywool.engines.comfyui.views import (
    ComfyDevice,
    ComfyJobAccepted,
    ComfyJobPage,
    ComfyJobView,
    ComfyReachable,
    ComfyStatus,
    ComfyUpload,
    Interrupted,
    ObjectInfo,
    QueueCleared,
    WorkflowCheck,
    WorkflowDeleted,
    WorkflowExport,
    WorkflowImported,
    WorkflowSummary,
    WorkflowView,
)
from hollywool.engines.comfyui.views import ComfyUnreachable as UnreachableStatus
from hollywool.engines.comfyui.workflow_formats import (
    ApiGraph,
    NodeCatalogue,
    WorkflowError,
    check_api_graph,
    detect_format,
    editor_to_api,
    expect_workflow,
    is_link,
    node_class,
    node_inputs,
    unwrap_api,
)
from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.jobs.context import JobContext
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.jobs.models import ACTIVE_STATUSES, Job, JobStatus, JobView
from hollywool.jobs.service import JobService
from hollywool.jobs.store import JobQuery
from hollywool.json_types import JsonObject, JsonValue, as_list, as_object
from hollywool.storage.comfyui_workflows import ComfyWorkflow, ComfyWorkflowRepository

# Problems that may disappear once the server's catalogue is read again (a node or model installed).
_STALE_CATALOGUE = {"missing_node", "missing_model", "value_not_in_list"}
_SEED_MAX = 0xFFFFFFFFFFFFFFFF


def config_from_env() -> ComfyConfig:
    def number(name: str, default: float) -> float:
        raw = os.environ.get(name)
        return float(raw) if raw not in (None, "") else default

    d = ComfyConfig()
    return ComfyConfig(
        http_timeout_s=number("HOLLYWOOL_COMFYUI_TIMEOUT", d.http_timeout_s),
        status_timeout_s=number("HOLLYWOOL_COMFYUI_STATUS_TIMEOUT", d.status_timeout_s),
        lost_timeout_s=number("HOLLYWOOL_COMFYUI_LOST_TIMEOUT", d.lost_timeout_s),
        retry_interval_s=number("HOLLYWOOL_COMFYUI_RETRY_INTERVAL", d.retry_interval_s),
        history_poll_s=number("HOLLYWOOL_COMFYUI_HISTORY_POLL", d.history_poll_s),
    )


class _ObjectInfoCache:
    """The server's node catalogue, per URL. Read again on demand, after an upload, when a check
    finds something missing (it may just have been installed) and after `ttl_s`."""

    def __init__(self, ttl_s: float = 300.0, down_ttl_s: float = 5.0):
        self.ttl_s = ttl_s
        self.down_ttl_s = down_ttl_s
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, NodeCatalogue]] = {}
        self._down: dict[str, tuple[float, ComfyUnreachable]] = {}

    def get(self, client: ComfyClient, *, refresh: bool = False) -> NodeCatalogue:
        url = client.base_url
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(url)
            down = self._down.get(url)
        if not refresh:
            if cached and now - cached[0] < self.ttl_s:
                return cached[1]
            if down and now - down[0] < self.down_ttl_s:
                raise down[1]
        try:
            info = client.object_info()
        except ComfyUnreachable as exc:
            with self._lock:
                self._down[url] = (now, exc)
            raise
        with self._lock:
            self._entries[url] = (time.monotonic(), info)
            self._down.pop(url, None)
        return info

    def invalidate(self, url: str | None = None) -> None:
        with self._lock:
            if url is None:
                self._entries.clear()
            else:
                self._entries.pop(url, None)


class ComfyService:
    def __init__(
        self,
        server_url: Callable[[], str],
        workflows: ComfyWorkflowRepository,
        jobs: JobService,
        *,
        lane: str,
        config: ComfyConfig | None = None,
    ):
        self._server_url = server_url
        self.workflows = workflows
        self.jobs = jobs
        self.lane = lane
        self.config = config or config_from_env()
        self.catalogue = _ObjectInfoCache()

    def register(self, kinds: KindRegistry) -> None:
        kinds.register(JobKind(KIND, ComfyJobParams, self.run_job, lane=lambda _p: self.lane, label="ComfyUI workflow"))

    def close(self) -> None:
        pass

    # -- the server ------------------------------------------------------------------------------
    def url(self) -> str:
        return self._server_url().rstrip("/")

    def client(self, *, timeout: float | None = None) -> ComfyClient:
        return ComfyClient(self.url(), timeout=timeout or self.config.http_timeout_s)

    def status(self) -> ComfyStatus:
        """Reachable or not, with the seed's fields (available, server_url, queue counts, error) too."""
        url = self.url()
        with self.client(timeout=self.config.status_timeout_s) as client:
            try:
                stats = client.system_stats()
                queue = client.queue()
            except ComfyUnreachable as exc:
                return UnreachableStatus(reachable=False, url=url, server_url=url, error=exc.message)
        system = as_object(stats.get("system"))
        devices = as_list(stats.get("devices"))
        running, pending = len(queue["queue_running"]), len(queue["queue_pending"])
        return ComfyReachable(
            reachable=True,
            url=url,
            server_url=url,
            version=_text(system.get("comfyui_version")),
            python_version=_text(system.get("python_version")),
            pytorch_version=_text(system.get("pytorch_version")),
            devices=[_device(d) for d in devices if isinstance(d, dict)],
            queue_running=running,
            queue_pending=pending,
            queue_length=running + pending,
        )

    def object_info(self, *, refresh: bool = False, node_class: str | None = None) -> ObjectInfo:
        """The node catalogue (or one class of it), with the seed's `nodes` and `total` beside it."""
        with self.client() as client:
            info = self.catalogue.get(client, refresh=refresh)
        if node_class is not None:
            info = {node_class: info[node_class]} if node_class in info else {}
        # model_validate, not keywords: a node class may be named "nodes" or "total" (the seed's keys win).
        return ObjectInfo.model_validate({**info, "nodes": sorted(info), "total": len(info)})

    def object_info_or_none(self, *, refresh: bool = False) -> NodeCatalogue | None:
        with self.client(timeout=self.config.status_timeout_s) as client:
            try:
                return self.catalogue.get(client, refresh=refresh)
            except ComfyUnreachable:
                return None

    def upload_image(self, name: str, data: bytes) -> ComfyUpload:
        with self.client() as client:
            answer = client.upload_image(name, data)
            if not isinstance(answer.get("name"), str):
                raise client.bad_answer("POST", "/upload/image", "JSON without the uploaded file's name")
        self.catalogue.invalidate(self.url())  # LoadImage's list of files changed
        return ComfyUpload.model_validate(answer)

    # -- workflows -------------------------------------------------------------------------------
    def import_workflow(
        self,
        *,
        workflow_json: JsonValue = None,
        file_bytes: bytes | None = None,
        filename: str | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> WorkflowImported:
        source, prompt, editor = self._read_source(workflow_json, file_bytes)
        warnings: list[str] = []
        info: NodeCatalogue | None = None
        down: ComfyUnreachable | None = None
        try:
            with self.client(timeout=self.config.status_timeout_s) as client:
                info = self.catalogue.get(client)
        except ComfyUnreachable as exc:
            down = exc
        if prompt is not None:
            api_graph = check_api_graph(unwrap_api(prompt))
        elif editor is not None and info is not None:
            api_graph = editor_to_api(editor, info)
        else:  # an editor workflow while the server is down
            cause = down or ComfyUnreachable(f"The ComfyUI server at {self.url()} is unreachable.")
            raise type(cause)(
                f"{cause.message} Converting an editor-format workflow needs the server's node definitions; "
                "or export the workflow in API format (Workflow > Export (API)) and import that."
            )
        if info is None:
            warnings.append(
                f"The ComfyUI server at {self.url()} is unreachable: parameter choices and the checks for "
                "missing nodes and models wait for the server."
            )
        found = find_parameters(api_graph, info)
        problems = check_graph(api_graph, info) if info is not None else []
        title = name or (Path(filename).stem if filename else None) or f"Workflow {time.strftime('%Y-%m-%d %H:%M')}"
        saved = self.workflows.create(
            name=title,
            description=description,
            source_format=source,
            api_graph=api_graph,
            editor_workflow=editor,
            parameters=[p.model_dump() for p in found],
        )
        view = self.view(saved, info=info, checked=info is not None, parameters=found)
        message = f"Imported workflow '{saved.name}' with {_count(len(found), 'parameter')}"
        if problems:
            message += f"; {_count(len(problems), 'problem')} to fix before it can run on the server"
        return WorkflowImported(**dict(view), warnings=warnings, problems=problems, message=message)

    def _read_source(
        self, workflow_json: JsonValue, file_bytes: bytes | None
    ) -> tuple[str, JsonObject | None, JsonObject | None]:
        """(source format, API graph or None, editor workflow or None)."""
        field = "workflow_json"
        if file_bytes is not None:
            field = "file"
            if len(file_bytes) > MAX_WORKFLOW_BYTES:
                raise too_large(len(file_bytes), field)
            if looks_like_image(file_bytes):
                embedded = read_embedded(file_bytes)
                source = "png" if file_bytes.startswith(b"\x89PNG") else "webp"
                for part in (embedded.prompt, embedded.workflow):
                    check_json(part, field)
                if embedded.prompt is not None:
                    detect_format(unwrap_api(embedded.prompt))
                elif embedded.workflow is not None:
                    _check_size(embedded.workflow, field)
                return source, embedded.prompt, embedded.workflow
            try:
                text = file_bytes.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = None
            if text is None or not text.lstrip().startswith(("{", "[")):
                raise WorkflowError(
                    ["neither format: the file is not JSON (API or editor workflow) nor a PNG/WebP made by ComfyUI"],
                    field="file",
                )
            workflow_json = parse_json(text, field)
        elif isinstance(workflow_json, str):
            if len(workflow_json) > MAX_WORKFLOW_BYTES:
                raise too_large(len(workflow_json))
            workflow_json = parse_json(workflow_json)
        if workflow_json is None:
            raise InvalidInputError("workflow_json: send a workflow (JSON) or a file", field="workflow_json")
        check_json(workflow_json, field)
        workflow = expect_workflow(workflow_json)
        fmt = detect_format(unwrap_api(workflow))
        _check_size(workflow if fmt == "editor" else unwrap_api(workflow), field)
        return (fmt, workflow, None) if fmt == "api" else (fmt, None, workflow)

    def get(self, workflow_id: str) -> ComfyWorkflow:
        workflow = self.workflows.get(workflow_id)
        if workflow is None:
            raise NotFoundError(f"ComfyUI workflow {workflow_id} not found")
        return workflow

    def parameters(self, workflow: ComfyWorkflow, info: NodeCatalogue | None) -> list[Parameter]:
        pins = [Pin.model_validate(p) for p in workflow.pins]
        if info is None:  # the list found at import, with today's pins
            stored = [Parameter.model_validate(p) for p in workflow.parameters if not p.get("pinned")]
            return stored + [p for p in find_parameters(workflow.api_graph, None, pins) if p.category == "pinned"]
        return find_parameters(workflow.api_graph, info, pins)

    def view(
        self,
        workflow: ComfyWorkflow,
        *,
        info: NodeCatalogue | None | EllipsisType = ...,
        checked: bool | None = None,
        parameters: list[Parameter] | None = None,
    ) -> WorkflowView:
        if info is ...:
            info = self.object_info_or_none()
        if parameters is None:
            parameters = self.parameters(workflow, info)
        return WorkflowView(
            id=workflow.id,
            workflow_id=workflow.id,
            name=workflow.name,
            description=workflow.description,
            thumbnail_asset_id=workflow.thumbnail_asset_id,
            thumbnail_url=self._thumbnail_url(workflow.thumbnail_asset_id),
            source_format=workflow.source_format,
            api_graph=workflow.api_graph,
            workflow_json=workflow.api_graph,
            editor_workflow=workflow.editor_workflow,
            node_count=len(workflow.api_graph),
            parameters=parameters,
            pins=[Pin.model_validate(p) for p in workflow.pins],
            server_checked=info is not None if checked is None else checked,
            created_at=workflow.created_at,
            updated_at=workflow.updated_at,
        )

    def show(self, workflow_id: str) -> WorkflowView:
        return self.view(self.get(workflow_id))

    def summary(self, workflow: ComfyWorkflow) -> WorkflowSummary:
        return WorkflowSummary(
            id=workflow.id,
            workflow_id=workflow.id,
            name=workflow.name,
            description=workflow.description,
            source_format=workflow.source_format,
            node_count=len(workflow.api_graph),
            parameter_count=len(workflow.parameters) + len(workflow.pins),
            thumbnail_asset_id=workflow.thumbnail_asset_id,
            thumbnail_url=self._thumbnail_url(workflow.thumbnail_asset_id),
            created_at=workflow.created_at,
            updated_at=workflow.updated_at,
        )

    def _thumbnail_url(self, asset_id: str | None) -> str | None:
        if not asset_id:
            return None
        asset = self.jobs.views.assets.get(asset_id)
        return (asset.thumbnail_url or asset.url) if asset else None

    def list(self, limit: int = 100, offset: int = 0) -> tuple[list[WorkflowSummary], int]:
        """A page of summaries, newest first, and the number saved in all."""
        items, total = self.workflows.list(limit, offset)
        return [self.summary(w) for w in items], total

    def update(self, workflow_id: str, changes: dict[str, Any]) -> WorkflowView:
        workflow = self.get(workflow_id)
        if "pins" in changes:
            pins: list[dict[str, Any]] = changes["pins"] or []
            changes["pins"] = [self._check_pin(workflow, Pin.model_validate(p)).model_dump() for p in pins]
        updated = self.workflows.update(workflow_id, changes)
        if updated is None:
            raise NotFoundError(f"ComfyUI workflow {workflow_id} not found")
        return self.view(updated)

    def pin(self, workflow_id: str, pin: Pin) -> WorkflowView:
        workflow = self.get(workflow_id)
        self._check_pin(workflow, pin)
        pins = [p for p in workflow.pins if (p["node_id"], p["input_name"]) != (pin.node_id, pin.input_name)]
        return self.update(workflow_id, {"pins": [*pins, pin.model_dump()]})

    def unpin(self, workflow_id: str, node_id: str, input_name: str) -> WorkflowView:
        workflow = self.get(workflow_id)
        pins = [p for p in workflow.pins if (p["node_id"], p["input_name"]) != (node_id, input_name)]
        if len(pins) == len(workflow.pins):
            raise NotFoundError(f"input {node_id}.{input_name} is not pinned")
        return self.update(workflow_id, {"pins": pins})

    def _check_pin(self, workflow: ComfyWorkflow, pin: Pin) -> Pin:
        node = workflow.api_graph.get(pin.node_id)
        if node is None:
            raise InvalidInputError(f"node_id: the workflow has no node {pin.node_id}", field="node_id")
        inputs = node_inputs(node)
        if pin.input_name not in inputs or is_link(inputs[pin.input_name]):
            raise InvalidInputError(
                f"input_name: node {pin.node_id} ({node_class(node)}) has no editable input '{pin.input_name}'",
                field="input_name",
            )
        return pin

    def delete(self, workflow_id: str) -> WorkflowDeleted:
        if not self.workflows.delete(workflow_id):
            raise NotFoundError(f"ComfyUI workflow {workflow_id} not found")
        return WorkflowDeleted(deleted=True, id=workflow_id, message="Workflow deleted")

    def export(self, workflow_id: str, fmt: str) -> WorkflowExport:
        """The workflow as ComfyUI loads it: the editor file (`fmt` "editor"), or the API graph."""
        workflow = self.get(workflow_id)
        safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in workflow.name).strip() or "workflow"
        if fmt == "editor":
            if workflow.editor_workflow is None:
                raise NotFoundError(f"workflow {workflow_id} was imported in API format; only 'api' can be exported")
            return WorkflowExport(filename=f"{safe}.json", workflow=workflow.editor_workflow)
        return WorkflowExport(filename=f"{safe}_api.json", workflow=workflow.api_graph)

    # -- jobs ------------------------------------------------------------------------------------
    def check(self, workflow_id: str, values: JsonObject) -> WorkflowCheck:
        """The pre-run check without queueing: the problems the server would find."""
        _graph, problems, checked = self._checked_graph(workflow_id, values)
        return WorkflowCheck(ok=not problems, server_checked=checked, problems=problems)

    def _checked_graph(self, workflow_id: str, values: JsonObject) -> tuple[ApiGraph, list[Problem], bool]:
        """The graph a job would run and the problems the server would find. (graph, problems, checked)"""
        check_json(values, "parameters")
        workflow = self.get(workflow_id)
        info = self.object_info_or_none()
        graph = apply_values(workflow.api_graph, self.parameters(workflow, info), values, info)
        graph = check_api_graph(graph)
        if info is None:
            return graph, [], False
        problems = check_graph(graph, info)
        if any(p.type in _STALE_CATALOGUE for p in problems):
            fresh = self.object_info_or_none(refresh=True)
            if fresh is not None:
                problems = check_graph(graph, fresh)
        return graph, problems, True

    def submit(
        self,
        workflow_id: str,
        values: JsonObject,
        *,
        session_id: str | None = None,
        batch_count: int = 1,
    ) -> ComfyJobAccepted:
        if not 1 <= batch_count <= 100:
            raise InvalidInputError("batch_count: must be between 1 and 100", field="batch_count")
        graph, problems, checked = self._checked_graph(workflow_id, values)
        if problems:
            raise GraphProblems(problems)
        workflow = self.get(workflow_id)
        seeds = seed_keys(self.parameters(workflow, None))
        runs: list[ComfyJobParams] = []
        for i in range(batch_count):
            g = copy.deepcopy(graph)
            run_values = dict(values)
            for key in seeds:
                node_id, _, name = key.rpartition(".")
                inputs = node_inputs(g[node_id])
                base = inputs.get(name)
                if isinstance(base, int) and not isinstance(base, bool) and i:
                    inputs[name] = run_values[key] = (base + i) % (_SEED_MAX + 1)
            runs.append(
                ComfyJobParams(
                    workflow_id=workflow_id,
                    workflow_name=workflow.name,
                    graph=g,
                    values=run_values,
                    batch_index=i,
                    batch_count=batch_count,
                )
            )
        jobs = self.jobs.submit_many(KIND, runs, session_id=session_id)
        message = "queued"
        if not checked:
            message = (
                f"queued; the ComfyUI server at {self.url()} is unreachable: the job waits for it, and the "
                "server checks the workflow when it is back"
            )
        first = jobs[0]
        return ComfyJobAccepted(job_id=first.id, status=first.status, message=message, job_ids=[j.id for j in jobs])

    def job_view(self, job: Job) -> ComfyJobView:
        return self._job_view(job, self.jobs.views.one(job))

    def _job_view(self, job: Job, view: JobView) -> ComfyJobView:
        """The job view (JobViews' shape) with the workflow's values in place of `params`."""
        data = view.model_dump(exclude={"params"})
        data.update(
            workflow_id=job.params.get("workflow_id"),
            workflow_name=job.params.get("workflow_name"),
            current_node=None,
            parameters=job.params.get("values", {}),
            batch_index=job.params.get("batch_index", 0),
            prompt_id=job.checkpoint.get("prompt_id"),
            outputs=job.result.get("outputs", {}),
        )
        return ComfyJobView.model_validate(data)

    def list_jobs(
        self,
        limit: int,
        offset: int,
        status: list[JobStatus] | None,
        *,
        session_id: str | None = None,
        active_only: bool = False,
    ) -> ComfyJobPage:
        """Newest first. `active_only` (the seed's filter) keeps the queued and running of `status`."""
        if active_only:
            status = [s for s in (status or list(JobStatus)) if s in ACTIVE_STATUSES]
            if not status:  # e.g. status=completed&active_only=true
                return ComfyJobPage(items=[], total=0, limit=limit, offset=offset)
        query = JobQuery(kind=KIND, status=status, session_id=session_id, limit=limit, offset=offset)
        jobs, total = self.jobs.list(query)
        views = [self._job_view(j, view) for j, view in zip(jobs, self.jobs.views.many(jobs), strict=True)]
        return ComfyJobPage(items=views, total=total, limit=limit, offset=offset)

    def get_job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job.kind != KIND:
            raise NotFoundError(f"job {job_id} is not a ComfyUI job")
        return job

    def show_job(self, job_id: str) -> ComfyJobView:
        return self.job_view(self.get_job(job_id))

    def cancel_job(self, job_id: str) -> ComfyJobView:
        self.get_job(job_id)  # 404 for another kind's job
        return self.job_view(self.jobs.cancel(job_id))

    def interrupt(self) -> Interrupted:
        """Stop what runs: the studio's running ComfyUI jobs, or else whatever the server runs."""
        running, _ = self.jobs.list(JobQuery(kind=KIND, status=[JobStatus.running], limit=100))
        for job in running:
            self.jobs.cancel(job.id)
        if running:
            message = f"Cancelled {_count(len(running), 'running ComfyUI job')}"
        else:
            with self.client(timeout=self.config.status_timeout_s) as client:
                client.interrupt()
            message = f"Interrupted what the ComfyUI server at {self.url()} was running"
        return Interrupted(interrupted=True, cancelled_jobs=[j.id for j in running], message=message)

    def clear_queue(self) -> QueueCleared:
        """Cancel the studio's queued ComfyUI jobs and empty the server's pending queue. The
        studio's jobs are cancelled even when the server cannot be reached; the answer is then the
        server's error, saying so."""
        queued, _ = self.jobs.list(JobQuery(kind=KIND, status=[JobStatus.queued], limit=10_000))
        for job in queued:
            self.jobs.cancel(job.id)
        cancelled = _count(len(queued), "queued ComfyUI job")
        with self.client(timeout=self.config.status_timeout_s) as client:
            try:
                client.clear_queue()
            except ComfyUnreachable as exc:
                done = f"Cancelled {cancelled} of the studio, but could not empty the server's queue."
                raise type(exc)(f"{done} {exc.message}") from None
        return QueueCleared(
            cancelled_jobs=[j.id for j in queued],
            server_cleared=True,
            message=f"Cancelled {cancelled} and emptied the queue of the ComfyUI server at {self.url()}",
        )

    # -- the job kind ----------------------------------------------------------------------------
    def run_job(self, ctx: JobContext, params: ComfyJobParams) -> JsonObject:
        editor = None
        if params.workflow_id:
            workflow = self.workflows.get(params.workflow_id)
            editor = workflow.editor_workflow if workflow else None
        with self.client() as client:
            result = ComfyRun(ctx, params, client, self.config, editor).execute()
        images = ctx.asset_ids
        if params.workflow_id and images and self.workflows.get(params.workflow_id):
            self.workflows.set_thumbnail(params.workflow_id, images[-1])
        return result


def _check_size(workflow: JsonObject, field: str) -> None:
    """At most MAX_NODES nodes: an API graph's nodes, or an editor workflow's with its subgraphs'."""
    nodes = workflow.get("nodes")
    if isinstance(nodes, list):
        subgraphs = as_list(as_object(workflow.get("definitions")).get("subgraphs"))
        inner = sum(len(as_list(d.get("nodes"))) for d in subgraphs if isinstance(d, dict))
        check_node_count(len(nodes) + inner, field)
    else:
        check_node_count(len(workflow), field)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _text(value: JsonValue) -> str | None:
    return None if value is None else str(value)


def _device(raw: JsonObject) -> ComfyDevice:
    """A device of /system_stats with the types the status answer declares (odd values dropped)."""
    index = raw.get("index")
    return ComfyDevice(
        name=_text(raw.get("name")),
        type=_text(raw.get("type")),
        index=index if isinstance(index, int) and not isinstance(index, bool) else None,
        vram_total=_finite(raw.get("vram_total")),
        vram_free=_finite(raw.get("vram_free")),
    )


def _finite(value: JsonValue) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None
