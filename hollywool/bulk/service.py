"""Bulk batches on the one queue: a parent job (kind "bulk") and one ordinary child job per prompt.

Children are "image" jobs for local models and "remote" jobs for `<provider>:<model>` ids, so they
queue, run, cancel and retry like any other job. The parent runs on its own light lane and only
watches its children: it finishes when they all have (failed if any failed, so retrying those
children re-queues it). Counts, progress and cost are always computed from the children.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import tempfile
import threading
import zipfile
from collections import Counter
from typing import IO, Any

from pydantic import BaseModel, Field, computed_field, field_validator, model_validator

from hollywool.errors import ConflictError, InvalidInputError, NotFoundError, StudioError
from hollywool.jobs.context import JobContext
from hollywool.jobs.events import Event, JobEvent
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.jobs.models import Job, JobStatus, JobView, MediaRef
from hollywool.jobs.store import JobQuery
from hollywool.storage.costs import JobCost

log = logging.getLogger("hollywool.bulk")

MAX_PROMPTS = 500
_ACTIVE = (JobStatus.queued, JobStatus.running)
# A batch created before parents and children were inserted together could lose its children to a
# crash; start-up fails such a parent with this sentence (retrying it queues its prompts).
ORPHAN_ERROR = (
    "This batch was interrupted while it was being created (the studio stopped before its prompts were "
    "queued), so nothing was generated. Retry the batch to queue its prompts."
)


class BulkRequest(BaseModel):
    """`POST /api/bulk/jobs`, with the seed's field names (`fal_model` is an alias of `model`)."""

    prompts: list[str] = Field(min_length=1, max_length=MAX_PROMPTS)
    model: str | None = None
    fal_model: str | None = None
    width: int = Field(1024, ge=64, le=8192)
    height: int = Field(1024, ge=64, le=8192)
    steps: int | None = Field(None, ge=1, le=200)
    guidance_scale: float | None = Field(None, ge=0, le=50)
    negative_prompt: str | None = None
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="the first prompt's seed; the rest count up")
    num_images: int = Field(1, ge=1, le=4, description="images per prompt")
    base_prompt: str | None = None
    session_id: str | None = None
    provider_params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("prompts")
    @classmethod
    def _prompts(cls, prompts: list[str]) -> list[str]:
        cleaned = [p.strip() for p in prompts]
        for i, p in enumerate(cleaned):
            if not p:
                raise ValueError(f"prompt {i + 1} is empty")
        return cleaned

    @model_validator(mode="after")
    def _model(self) -> BulkRequest:
        if not self.model and self.fal_model:
            self.model = self.fal_model if ":" in self.fal_model else f"fal:{self.fal_model}"
        if not self.model:
            raise ValueError("model: a model is required (a local model id or `<provider>:<model id>`)")
        return self


class BulkParams(BaseModel):
    """The parent job's params: the batch as it was asked for."""

    model: str
    child_kind: str
    prompts: list[str]
    width: int
    height: int
    steps: int | None = None
    num_images: int = 1
    base_prompt: str | None = None
    shared: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None


class BulkItem(BaseModel):
    """One prompt of a batch and its child job."""

    index: int
    job_id: str
    prompt: str | None
    status: JobStatus
    stage: str
    progress: float = Field(description="0 to 100")
    message: str | None
    asset_id: str | None
    image_url: str | None
    thumbnail_url: str | None
    images: list[MediaRef] = Field(description="the child's images and videos")
    error: str | None
    seed: int | None
    cost_usd: float | None


class BulkSummary(BaseModel):
    """A batch as `GET /api/bulk/jobs` lists it."""

    job_id: str
    id: str
    status: JobStatus
    model: str
    kind: str
    base_prompt: str | None
    session_id: str | None
    width: int
    height: int
    steps: int | None
    num_images: int
    total: int
    completed: int
    failed: int
    running: int
    queued: int
    cancelled: int
    progress: float = Field(description="0 to 100")
    cost_usd: float
    cost_estimated: bool
    created_at: float
    finished_at: float | None
    started_at: float | None = None
    error: str | None = None

    # The seed's BulkJob names, derived.
    @computed_field
    @property
    def fal_model(self) -> str | None:
        return self.model.removeprefix("fal:") if self.model.startswith("fal:") else None

    @computed_field
    @property
    def completed_at(self) -> float | None:
        return self.finished_at


class BulkView(BulkSummary):
    """A batch with its prompts, as `GET /api/bulk/jobs/{id}` shows it."""

    items: list[BulkItem]


class BulkPage(BaseModel):
    items: list[BulkSummary]
    total: int
    limit: int
    offset: int

    @computed_field(description="the seed's name for `items`")
    @property
    def jobs(self) -> list[BulkSummary]:
        return self.items


class BulkService:
    def __init__(self, jobs, router, ledger, sessions, assets):  # noqa: ANN001
        self.jobs = jobs
        self.router = router  # GenerationRouter: a child is a local "image" job or a "remote" one
        self.ledger = ledger
        self.sessions = sessions
        self.assets = assets
        self.resync_s = 5.0

    def register(self, kinds: KindRegistry, lane: str) -> None:
        kinds.register(
            JobKind(
                "bulk",
                BulkParams,
                self._watch,
                lane=lambda _p: lane,
                recover=self.repair_orphans,
                label="Bulk batch",
                title=lambda p: f"{len(p.prompts)} prompt{'s' if len(p.prompts) != 1 else ''} on {p.model}",
            )
        )

    # -- creating ----------------------------------------------------------------------------------
    def create(self, req: BulkRequest) -> Job:
        if req.session_id and self.sessions.get(req.session_id) is None:
            raise InvalidInputError(f"session_id: unknown session {req.session_id!r}", field="session_id")
        route = self.router.route("image", req.model)
        kind = route.kind
        if req.provider_params and not route.remote:
            raise InvalidInputError(
                "provider_params: local models take no provider parameters", field="provider_params"
            )
        shared = {
            "model": req.model,
            "width": req.width,
            "height": req.height,
            "steps": req.steps,
            "guidance_scale": req.guidance_scale,
            "negative_prompt": req.negative_prompt,
            "num_images": req.num_images,
        }
        if route.remote:
            shared["provider_params"] = req.provider_params
        children = [self.router.params(route, c) for c in _children(shared, req.prompts, req.seed, req.num_images)]
        # Children differ only by prompt: checking one refuses a bad batch early (then every child is
        # validated before anything is inserted).
        validated = [self.jobs.validate(kind, c) for c in children[:1]]
        if not validated:
            raise InvalidInputError("prompts: at least one prompt is required", field="prompts")
        parent, _ = self.jobs.submit_with_children(
            "bulk",
            BulkParams(
                model=req.model,
                child_kind=kind,
                prompts=req.prompts,
                width=req.width,
                height=req.height,
                steps=req.steps,
                num_images=req.num_images,
                base_prompt=req.base_prompt,
                shared={k: v for k, v in shared.items() if v is not None and k != "model"},
                seed=req.seed,
            ),
            kind,
            children,
            session_id=req.session_id,
        )
        return parent

    def repair_orphans(self) -> None:
        """At start-up: fail batch parents that have no children (see ORPHAN_ERROR).

        Failing rather than re-creating the children: the request that made the batch never got
        its answer, so the user (or a script) may already have sent it again, and re-creating would
        then generate, and for remote models pay for, the batch twice. Retry re-creates them."""
        store = self.jobs.store
        parents, _ = store.list(JobQuery(kind="bulk", status=list(_ACTIVE), limit=100_000))
        for parent in parents:
            if not store.counts_by_status(parent.id) and store.fail(parent.id, ORPHAN_ERROR):
                log.warning("bulk batch %s had no prompts queued (interrupted at creation): failed", parent.id)

    # -- the parent job ----------------------------------------------------------------------------
    def _watch(self, ctx: JobContext, params: BulkParams) -> dict[str, Any]:
        """The parent job: sleeps until one of its children changes state, then recounts."""
        total = len(params.prompts)
        ctx.set_stage("running", f"0 of {total} done", total_steps=total)
        changed = threading.Event()

        def on_event(event: Event) -> None:
            if isinstance(event, JobEvent) and event.job.parent_id == ctx.job_id:
                changed.set()

        self.jobs.bus.add_listener(on_event)
        try:
            last = None
            while True:
                ctx.raise_if_cancelled()
                changed.clear()
                counts = self.jobs.store.counts_by_status(ctx.job_id)
                done = sum(counts.get(s, 0) for s in ("completed", "failed", "cancelled"))
                created = sum(counts.values())
                if created >= total and done >= created:
                    break
                if (done, counts.get("failed", 0)) != last:
                    last = (done, counts.get("failed", 0))
                    ctx.progress(done, total, message=_summary(counts, total))
                # Children announce every change on the bus; the timeout only guards a missed event.
                changed.wait(self.resync_s)
        finally:
            self.jobs.bus.remove_listener(on_event)
        summary = {
            "completed": counts.get("completed", 0),
            "failed": counts.get("failed", 0),
            "cancelled": counts.get("cancelled", 0),
            "total": total,
        }
        if summary["failed"]:
            raise StudioError(f"{summary['failed']} of {total} prompts failed; retry them from the batch")
        return summary

    # -- reading -----------------------------------------------------------------------------------
    def parent(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job.kind != "bulk":
            raise NotFoundError(f"bulk job {job_id} not found")
        return job

    def children(self, parent: Job) -> list[Job]:
        kids, _ = self.jobs.store.list(JobQuery(parent_id=parent.id, limit=100_000))
        order = {cid: i for i, cid in enumerate(parent.result.get("child_ids") or [])}
        return sorted(kids, key=lambda j: (order.get(j.id, len(order)), j.created_at))

    def get(self, job_id: str) -> BulkView:
        return self.view(self.parent(job_id))

    def page(self, session_id: str | None, limit: int, offset: int) -> BulkPage:
        parents, total = self.jobs.list(JobQuery(kind="bulk", session_id=session_id, limit=limit, offset=offset))
        return BulkPage(items=[self.summary(p) for p in parents], total=total, limit=limit, offset=offset)

    def summary(self, parent: Job) -> BulkSummary:
        kids = self.children(parent)
        return self._summarise(parent, kids, self.ledger.for_jobs([k.id for k in kids]))

    def view(self, parent: Job) -> BulkView:
        kids = self.children(parent)
        costs = self.ledger.for_jobs([k.id for k in kids])
        views = self.jobs.views.many(kids)
        items = [_item(i, kid, view, costs.get(kid.id)) for i, (kid, view) in enumerate(zip(kids, views, strict=True))]
        return BulkView(**dict(self._summarise(parent, kids, costs)), items=items)

    def _summarise(self, parent: Job, kids: list[Job], costs: dict[str, JobCost]) -> BulkSummary:
        """The batch's counts, progress, cost and status, all read from its children."""
        params = BulkParams.model_validate(parent.params)
        counts = Counter(k.status for k in kids)
        total = len(params.prompts)
        finished = sum(counts[s] for s in (JobStatus.completed, JobStatus.failed, JobStatus.cancelled))
        running_fraction = sum(k.fraction for k in kids if k.status == JobStatus.running)
        if counts[JobStatus.queued] or counts[JobStatus.running]:
            status = JobStatus.running if (counts[JobStatus.running] or finished) else JobStatus.queued
        elif parent.status in _ACTIVE and finished < total:
            status = parent.status
        elif counts[JobStatus.failed]:
            status = JobStatus.failed
        elif counts[JobStatus.cancelled] and not counts[JobStatus.completed]:
            status = JobStatus.cancelled
        else:
            status = JobStatus.completed if kids else parent.status
        return BulkSummary(
            job_id=parent.id,
            id=parent.id,
            status=status,
            model=params.model,
            kind=params.child_kind,
            base_prompt=params.base_prompt,
            session_id=parent.session_id,
            width=params.width,
            height=params.height,
            steps=params.steps,
            num_images=params.num_images,
            total=total,
            completed=counts[JobStatus.completed],
            failed=counts[JobStatus.failed],
            running=counts[JobStatus.running],
            queued=counts[JobStatus.queued],
            cancelled=counts[JobStatus.cancelled],
            progress=round((finished + running_fraction) / total * 100, 2) if total else 100.0,
            cost_usd=round(sum(c.amount_usd for c in costs.values()), 6),
            cost_estimated=any(c.estimated for c in costs.values()),
            created_at=parent.created_at,
            finished_at=parent.finished_at,
            started_at=parent.started_at,
            error=parent.error,
        )

    # -- steering ----------------------------------------------------------------------------------
    def cancel(self, job_id: str) -> BulkView:
        parent = self.parent(job_id)
        # The parent (if still active) and every active child; children finishing meanwhile are skipped.
        self.jobs.cancel_tree(parent.id)
        return self.view(self.parent(job_id))

    def retry(self, job_id: str, indexes: list[int] | None = None, include_cancelled: bool = False) -> BulkView:
        parent = self.parent(job_id)
        kids = self.children(parent)
        if not kids and parent.status in (JobStatus.failed, JobStatus.cancelled):
            return self._requeue_orphan(parent)
        wanted = {JobStatus.failed} | ({JobStatus.cancelled} if include_cancelled else set())
        chosen = [k for i, k in enumerate(kids) if (indexes is None or i in indexes) and k.status in wanted]
        if not chosen:
            raise ConflictError("no failed prompts to retry in this batch")
        for kid in chosen:
            self.jobs.retry(kid.id)
        if parent.status in (JobStatus.failed, JobStatus.cancelled):
            self.jobs.retry(parent.id)
        return self.view(self.parent(job_id))

    def _requeue_orphan(self, parent: Job) -> BulkView:
        """Queue the prompts of a batch whose children were never created, then the parent again."""
        params = BulkParams.model_validate(parent.params)
        shared = {"model": params.model, **params.shared}
        children = _children(shared, params.prompts, params.seed, params.num_images)
        jobs = self.jobs.submit_many(params.child_kind, children, session_id=parent.session_id, parent_id=parent.id)
        self.jobs.store.merge_result(parent.id, {"child_ids": [j.id for j in jobs]})
        self.jobs.retry(parent.id)
        return self.view(self.parent(parent.id))

    # -- export ------------------------------------------------------------------------------------
    def export_zip(self, job_id: str) -> IO[bytes]:
        """A zip of the batch's images and videos with `prompts.csv` (prompt, seed, parameters)."""
        parent = self.parent(job_id)
        view = self.view(parent)
        kids = {k.id: k for k in self.children(parent)}
        out = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115 - returned
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(
            [
                "index",
                "prompt",
                "status",
                "seed",
                "model",
                "width",
                "height",
                "steps",
                "file",
                "job_id",
                "cost_usd",
                "error",
                "params",
            ]
        )
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for item in view.items:
                kid = kids[item.job_id]
                files = []
                for n, media in enumerate(item.images):
                    asset = self.assets.get(media.id)
                    path = self.assets.path_of(asset)
                    if not path.exists():
                        continue
                    suffix = f"_{n + 1}" if len(item.images) > 1 else ""
                    name = f"{item.index + 1:03d}_{_slug(item.prompt)}{suffix}{path.suffix}"
                    zf.write(path, f"images/{name}")
                    files.append(f"images/{name}")
                writer.writerow([csv_cell(v) for v in [
                    item.index + 1, item.prompt, item.status, item.seed if item.seed is not None else "",
                    kid.params.get("model"), kid.params.get("width"), kid.params.get("height"),
                    kid.params.get("steps") or "", ";".join(files), kid.id,
                    item.cost_usd if item.cost_usd is not None else "", item.error or "",
                    json.dumps({k: v for k, v in kid.params.items() if k != "prompt"}, sort_keys=True),
                ]])  # fmt: skip
            zf.writestr("prompts.csv", rows.getvalue())
            summary = view.model_dump(mode="json", exclude={"items"})
            zf.writestr("batch.json", json.dumps(summary, indent=2))
        out.seek(0)
        return out


def _item(index: int, kid: Job, view: JobView, cost: JobCost | None) -> BulkItem:
    """One prompt's line: its child job and the first image or video it made."""
    media = view.images + view.videos
    first = media[0] if media else None
    return BulkItem(
        index=index,
        job_id=kid.id,
        prompt=kid.params.get("prompt"),
        status=kid.status,
        stage=kid.stage,
        progress=view.progress,
        message=kid.message,
        asset_id=first.id if first else None,
        image_url=first.url if first else None,
        thumbnail_url=(first.thumbnail_url or first.url) if first else None,
        images=media,
        error=kid.error,
        seed=first.seed if first and first.seed is not None else kid.params.get("seed"),
        cost_usd=cost.amount_usd if cost else None,
    )


def _children(shared: dict[str, Any], prompts: list[str], seed: int | None, num_images: int) -> list[dict[str, Any]]:
    """One child's params per prompt; with a seed, the prompts' seeds count up from it."""
    children = []
    for index, prompt in enumerate(prompts):
        child = {**shared, "prompt": prompt}
        if seed is not None:
            child["seed"] = (seed + index * num_images) % 2**32
        children.append({k: v for k, v in child.items() if v is not None})
    return children


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: a leading formula character gets a `'` before it."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _summary(counts: dict[str, int], total: int) -> str:
    done = counts.get("completed", 0)
    failed = counts.get("failed", 0)
    text = f"{done} of {total} done"
    return text + (f", {failed} failed" if failed else "")


def _slug(text: str | None, limit: int = 40) -> str:
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", text or "").strip("-").lower()
    return slug[:limit].rstrip("-") or "prompt"
