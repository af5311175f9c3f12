"""The "remote" job kind: one provider request, followed to the end, on a per-provider network lane.

Flow: check the key -> daily budget gate (waits for confirmation when the job would pass it) ->
reserve a cost-ledger row -> submit -> save the provider's request handle in the job checkpoint at
once (a restarted studio re-attaches to it instead of paying twice) -> poll status (queue position,
provider logs) -> fetch the result -> download every output into the assets, with the parameters
and the provider's request id -> settle the cost.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image
from pydantic import BaseModel, Field

from hollywool.engines.image.params import MAX_REFERENCE_IMAGES, ReferenceImage
from hollywool.engines.image.styles import STYLES, apply_style
from hollywool.engines.remote.base import HttpProvider, ProviderEnv
from hollywool.engines.remote.fal import FalProvider
from hollywool.engines.remote.higgsfield import HiggsfieldProvider
from hollywool.engines.remote.http import Tuning
from hollywool.engines.remote.images import image_capacity, png_of
from hollywool.engines.remote.keys import ENV_KEY_OFF, ProviderKeys
from hollywool.engines.remote.krea import KreaProvider
from hollywool.engines.remote.provider import (
    Handle,
    Provider,
    ProviderError,
    RemoteModel,
    RemoteResult,
    split_model_ref,
)
from hollywool.engines.remote.views import REMOTE_BASE_SIDE, REMOTE_SIZE_MULTIPLE, RemoteModelInfo
from hollywool.errors import ConflictError, InvalidInputError, StudioError
from hollywool.jobs.context import JobCancelled, JobContext
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.json_types import JsonObject
from hollywool.media.references import ReferenceImages
from hollywool.models.sizes import MAX_SIDE, MIN_SIDE
from hollywool.models.views import aspect_size_table
from hollywool.storage.costs import CostLedger, CostSummary, today
from hollywool.storage.preferences import PreferencesRepository
from hollywool.storage.provider_configs import ProviderConfigRepository
from hollywool.storage.secrets import SecretStore

if TYPE_CHECKING:
    from hollywool.settings import ServiceUrls
    from hollywool.storage.db import Database

log = logging.getLogger("hollywool.remote")

REMOTE_PROVIDERS: tuple[type[HttpProvider], ...] = (FalProvider, KreaProvider, HiggsfieldProvider)
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_STEP = re.compile(r"(\d+)\s*/\s*(\d+)")


class RemoteParams(BaseModel):
    """A job on a remote model: the same fields as a local one, plus `provider_params`."""

    model: str = Field(min_length=3, description="`<provider>:<model id>`")
    prompt: str = Field(min_length=1, max_length=10_000)
    negative_prompt: str | None = Field(None, max_length=10_000)
    width: int | None = Field(1024, ge=64, le=8192)
    height: int | None = Field(1024, ge=64, le=8192)
    steps: int | None = Field(None, ge=1, le=200)
    guidance_scale: float | None = Field(None, ge=0, le=50)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    num_images: int | None = Field(None, ge=1, le=4)
    image_url: str | None = None
    duration: float | None = Field(None, gt=0, le=120)
    strength: float | None = Field(None, ge=0, le=1)
    style: str | None = Field(None, description="a style preset id (GET /api/styles), applied to the prompts sent")
    reference_images: list[ReferenceImage] = Field(
        default_factory=list[ReferenceImage],
        max_length=MAX_REFERENCE_IMAGES,
        description="input images (asset id or base64), as for local models; they fill the model's image fields",
    )
    provider_params: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list, description="set by the studio: which reference images were used")

    def provider_request(self) -> JsonObject:
        """The fields the provider's body is made from: the style applied to the prompts. The job keeps the
        user's prompt and the style id (as a local job does), so "use these settings" never styles twice."""
        request: JsonObject = self.model_dump(mode="json")
        request["prompt"], request["negative_prompt"] = apply_style(self.style, self.prompt, self.negative_prompt)
        return request


class RemoteEngine:
    """Owns the providers, the remote job kind, its lanes and the budget confirmations."""

    def __init__(
        self,
        *,
        data_dir: Path,
        secrets: SecretStore,
        services: ServiceUrls,
        db: Database,
        preferences: PreferencesRepository,
        references: ReferenceImages | None = None,
    ):
        self.references = references
        self.tuning = Tuning.from_env()
        self.configs = ProviderConfigRepository(db)
        self.keys = ProviderKeys(secrets, env_off=lambda pid: bool(self.configs.get(pid).extra.get(ENV_KEY_OFF)))
        self.ledger = CostLedger(db)
        self.preferences = preferences
        env = ProviderEnv(self.keys, self.configs, data_dir / "providers", self.tuning)
        defaults = {"fal": services.fal, "krea": services.krea, "higgsfield": services.higgsfield}
        self.providers: dict[str, HttpProvider] = {cls.id: cls(env, defaults[cls.id]) for cls in REMOTE_PROVIDERS}
        self._confirmations: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    # -- registration ----------------------------------------------------------------------------
    def register(self, kinds: KindRegistry, add_network_lane: Callable[[str, int], str]) -> None:
        for provider in self.providers.values():
            concurrency = int(self.configs.get(provider.id).extra.get("concurrency") or provider.concurrency)
            add_network_lane(provider.id, concurrency)
        kinds.register(
            JobKind("remote", RemoteParams, self.run, lane=self.lane_of, check=self.check, label="Remote generation")
        )

    def close(self) -> None:
        for provider in self.providers.values():
            provider.client.close()

    # -- lookup ----------------------------------------------------------------------------------
    def provider(self, provider_id: str) -> HttpProvider:
        try:
            return self.providers[provider_id]
        except KeyError:
            raise InvalidInputError(
                f"model: unknown provider {provider_id!r}; remote models are "
                f"{', '.join(f'{p}:<model id>' for p in self.providers)}",
                field="model",
            ) from None

    def is_remote(self, model_ref: str) -> bool:
        split = split_model_ref(model_ref)
        return bool(split and split[0] in self.providers)

    def resolve(self, model_ref: str) -> tuple[HttpProvider, RemoteModel]:
        split = split_model_ref(model_ref)
        if split is None:
            raise InvalidInputError(f"model: {model_ref!r} is not a remote model id", field="model")
        provider = self.provider(split[0])
        try:
            model = provider.get_model(split[1])
        except InvalidInputError:
            if provider.id == "higgsfield":
                raise
            # Not discovered yet: pass it through unchecked; the provider validates it.
            model = RemoteModel(id=model_ref, provider=provider.id, model_id=split[1], name=split[1])
        return provider, model

    def all_models(self) -> list[RemoteModel]:
        return [m for p in self.providers.values() if p.enabled for m in p.list_models()]

    def describe_models(self, kind: str | None = None) -> list[RemoteModelInfo]:
        """Remote models as `/api/models` lists them beside local ones: provider badge, category, price,
        which inputs the studio fills, and the sizes offered."""
        out: list[RemoteModelInfo] = []
        sizes = aspect_size_table(REMOTE_BASE_SIDE, REMOTE_SIZE_MULTIPLE)
        for provider in self.providers.values():
            if not provider.enabled:
                continue
            has_key = provider.key() is not None
            for m in provider.list_models():
                if m.category == "upscaling" or (kind is not None and (kind == "video") != m.is_video):
                    continue
                out.append(
                    RemoteModelInfo.model_validate(
                        {
                            "id": m.id,
                            "name": m.name,
                            "type": "remote",
                            "remote": True,
                            "provider": provider.id,
                            "provider_name": provider.name,
                            "provider_configured": has_key,
                            "model_id": m.model_id,
                            "category": m.category,
                            "is_video": m.is_video,
                            "description": m.description,
                            "tags": m.tags,
                            "price": m.price.model_dump() if m.price else None,
                            "params": [p.model_dump() for p in m.params],
                            "max_reference_images": image_capacity(m, provider.default_image_field),
                            "thumbnail_url": m.thumbnail_url,
                            "studio_params": provider.studio_inputs(m),
                            # Given (not defaulted), so that the route's exclude_unset sends them.
                            "size_multiple": REMOTE_SIZE_MULTIPLE,
                            "min_size": MIN_SIDE,
                            "max_size": MAX_SIDE,
                            "aspect_sizes": sizes,
                        }
                    )
                )
        return out

    # -- the job kind ----------------------------------------------------------------------------
    def lane_of(self, params: RemoteParams) -> str:
        split = split_model_ref(params.model)
        return f"net:{split[0] if split else 'remote'}"

    def check(self, params: RemoteParams) -> RemoteParams:
        provider, model = self.resolve(params.model)
        if not provider.enabled:
            raise InvalidInputError(
                f"model: {provider.name} is disabled; enable it on its provider page", field="model"
            )
        if params.style and params.style not in STYLES:
            raise InvalidInputError(
                f"style: unknown style {params.style!r}; styles: {', '.join(STYLES)}", field="style"
            )
        request = params.provider_request()
        provider.validate(model, request)  # the model takes images (422 otherwise) and every other field
        if not params.reference_images:
            return params
        if self.references is None:
            raise InvalidInputError("reference_images: this studio has no image store", field="reference_images")
        # Decoded, checked and stored once (same 422s as local jobs); the job keeps only ids.
        refs = self.references.normalise(params.reference_images)
        note = provider.image_plan(model, request).note()
        notes = [n for n in params.notes if not n.startswith("reference_images:")] + ([note] if note else [])
        return params.model_copy(update={"reference_images": refs, "notes": notes})

    def run(self, ctx: JobContext, params: RemoteParams) -> RemoteRunResult:
        try:
            return self._run(ctx, params)
        except StudioError as exc:
            # A service may echo what it was sent; no key leaves in an error text.
            exc.message = self.keys.redact(exc.message) or exc.message
            exc.args = (exc.message,)
            raise

    def _run(self, ctx: JobContext, params: RemoteParams) -> RemoteRunResult:
        provider, model = self.resolve(params.model)
        body = provider.validate(model, params.provider_request())
        handle: Handle | None = ctx.checkpoint.get("remote")
        entry: int | None = ctx.checkpoint.get("cost_entry")
        if handle:
            ctx.set_stage("reattaching", f"Re-attached to {provider.name} request {handle['request_id']}")
            if entry is None:
                entry = self.ledger.find(ctx.job_id, handle["request_id"])
        else:
            provider.require_key()
            estimate = provider.estimate_usd(model, body)
            entry = self._budget_gate(ctx, provider, model, estimate)
            try:
                sent = self._attach_images(ctx, provider, params, body)
                ctx.set_stage("submitting", f"Submitting to {provider.name}")
                submission = provider.submit(model, sent)
            except BaseException:
                self.ledger.void(entry)
                raise
            handle = {**submission.handle, "request_id": submission.request_id}
            # Saved before anything else can fail: from here on the request is paid for.
            ctx.save_checkpoint(remote=handle, cost_entry=entry, saved_outputs=[])
            self.ledger.attach_request(entry, submission.request_id)
            log.info("job %s: %s request %s submitted", ctx.job_id, provider.id, submission.request_id)
        request_id = handle["request_id"]
        try:
            self._follow(ctx, provider, handle)
            ctx.set_stage("downloading", f"Downloading from {provider.name}")
            result = provider.result(handle)
            self._save_outputs(ctx, provider, model, params, body, request_id, result)
        except JobCancelled:
            raise
        except ProviderError as exc:
            if exc.retryable or "download" in exc.message:
                # The request itself may be done and paid for: keep its handle so a retry re-attaches.
                raise ProviderError(
                    f"{exc.message} ({provider.name} request id {request_id}; retry the job to fetch it again "
                    "without a new request)",
                    status=exc.status,
                    field=exc.field,
                ) from None
            self._forget_request(ctx, entry)
            raise ProviderError(
                f"{exc.message} ({provider.name} request id {request_id})", status=exc.status, field=exc.field
            ) from None
        billed = result.billed_usd
        if entry is not None:
            self.ledger.settle(entry, amount=billed, estimated=billed is None)
        cost = self.ledger.for_jobs([ctx.job_id]).get(ctx.job_id)
        return RemoteRunResult(
            provider=provider.id,
            provider_request_id=request_id,
            cost_usd=cost.amount_usd if cost else None,
            cost_estimated=cost.estimated if cost else billed is None,
            seed=result.seed,
        )

    def _attach_images(
        self, ctx: JobContext, provider: HttpProvider, params: RemoteParams, body: JsonObject
    ) -> JsonObject:
        """Before the submit (so a re-attach never repeats it): inline or upload the input images."""
        refs = params.reference_images
        if not refs:
            return body
        references = self.references
        if references is None:
            raise InvalidInputError("reference_images: this studio has no image store", field="reference_images")
        if provider.image_transport == "upload":
            ctx.set_stage("uploading", f"Uploading the input images to {provider.name}")
        return provider.attach_images(body, lambda i: (png_of(references.load(refs[i])), "image/png"))

    def _forget_request(self, ctx: JobContext, entry: int | None) -> None:
        if entry is not None:
            self.ledger.void(entry)
        ctx.save_checkpoint(remote=None, cost_entry=None, saved_outputs=[])

    def _follow(self, ctx: JobContext, provider: Provider, handle: Handle) -> None:
        last_stage, last_message = None, None
        while True:
            try:
                ctx.raise_if_cancelled()
            except JobCancelled:
                self._cancel_remote(ctx, provider, handle)
                raise
            status = provider.status(handle)
            if status.state == "completed":
                return
            if status.state == "failed":
                raise ProviderError(status.error or f"{provider.name}: the request failed")
            if status.state == "cancelled":
                self._forget_request(ctx, ctx.checkpoint.get("cost_entry"))
                raise JobCancelled(f"{provider.name} cancelled the request")
            if status.state == "queued":
                stage = "in_queue"
                if status.queue_position is not None:
                    message = f"Position {status.queue_position} in the {provider.name} queue"
                else:
                    message = f"Waiting in the {provider.name} queue" + (
                        f" ({status.message})" if status.message else ""
                    )
            else:
                stage = "generating"
                message = status.message or f"{provider.name} is generating"
            if stage != last_stage:
                ctx.set_stage(stage, message)
                last_stage, last_message = stage, message
            elif message != last_message:
                ctx.progress(0, 0, fraction=_fraction_of(message), message=message)
                last_message = message
            _sleep(ctx, self.tuning.poll_interval_s)

    def _cancel_remote(self, ctx: JobContext, provider: Provider, handle: Handle) -> None:
        try:
            provider.cancel(handle)
        except ProviderError as exc:
            log.warning(
                "job %s: could not cancel %s request %s: %s",
                ctx.job_id,
                provider.id,
                handle.get("request_id"),
                self.keys.redact(exc.message),
            )
        self._forget_request(ctx, ctx.checkpoint.get("cost_entry"))

    def _save_outputs(
        self,
        ctx: JobContext,
        provider: HttpProvider,
        model: RemoteModel,
        params: RemoteParams,
        body: JsonObject,
        request_id: str,
        result: RemoteResult,
    ) -> None:
        saved: list[int] = list(ctx.checkpoint.get("saved_outputs") or [])
        sent = params.provider_request()
        recorded: dict[str, Any] = {
            **params.model_dump(exclude_none=True),
            "final_prompt": sent["prompt"],
            "final_negative_prompt": sent["negative_prompt"],
            "provider": provider.id,
            "provider_model": model.model_id,
            "provider_request_id": request_id,
            "provider_body": body,
        }
        if result.seed is not None:
            recorded["seed"] = result.seed
        total = len(result.outputs)
        for index, output in enumerate(result.outputs):
            if index in saved:
                continue
            ctx.raise_if_cancelled()
            data, content_type = provider.client.download(output.url)
            fields: dict[str, str | int | None] = {
                "model": params.model,
                "prompt": params.prompt,
                "negative_prompt": params.negative_prompt,
                "seed": result.seed,
            }
            item = {**recorded, "output_index": index, "source_url": output.url}
            if output.kind == "video" or (content_type or "").startswith("video/"):
                ext = "webm" if "webm" in (content_type or output.url) else "mp4"
                ctx.save_file("video", ext, content_type or "video/mp4", _writer(data), params=item, **fields)
            else:
                try:
                    image = Image.open(io.BytesIO(data))
                    image.load()
                except Exception:
                    raise ProviderError(f"{provider.name}: a result file was not an image ({content_type})") from None
                ctx.save_image(image, params=item, **fields)
            saved.append(index)
            ctx.save_checkpoint(saved_outputs=saved)
            ctx.progress(index + 1, total, message=f"Saved {index + 1} of {total}")

    # -- the daily budget ------------------------------------------------------------------------
    def _budget_gate(self, ctx: JobContext, provider: Provider, model: RemoteModel, estimate: float | None) -> int:
        session_id = ctx.job.session_id
        while True:
            with self.ledger.lock:
                budget = self.preferences.get().daily_budget_usd
                spent = self.ledger.spent_on(today())
                confirmed = bool(ctx.checkpoint.get("budget_confirmed"))
                if budget is None or estimate is None or spent + estimate <= budget or confirmed:
                    return self.ledger.reserve(
                        job_id=ctx.job_id,
                        provider=provider.id,
                        model=model.model_id,
                        session_id=session_id,
                        estimate=estimate,
                    )
            event = self._confirmation(ctx.job_id)
            ctx.set_stage(
                "awaiting_confirmation",
                f"This request (about ${estimate:.2f}) would bring today's spending to ${spent + estimate:.2f}, "
                f"over the daily budget of ${budget:.2f}. Confirm the job to run it, or cancel it.",
            )
            while not event.wait(0.2):
                ctx.raise_if_cancelled()
            with self._lock:
                self._confirmations.pop(ctx.job_id, None)
            ctx.save_checkpoint(budget_confirmed=True)

    def costs(self, *, since: str | None = None, until: str | None = None) -> CostSummary:
        """The ledger's sums for a period, with today's spending against the daily budget."""
        return self.ledger.summary(since=since, until=until, daily_budget_usd=self.preferences.get().daily_budget_usd)

    def _confirmation(self, job_id: str) -> threading.Event:
        with self._lock:
            return self._confirmations.setdefault(job_id, threading.Event())

    def confirm(self, job_id: str, stage: str) -> None:
        if stage != "awaiting_confirmation":
            raise ConflictError(f"job {job_id} is not waiting for a budget confirmation")
        self._confirmation(job_id).set()


class RemoteRunResult(BaseModel):
    """What a remote job adds to its result (beside the asset ids)."""

    provider: str
    provider_request_id: str
    cost_usd: float | None
    cost_estimated: bool
    seed: int | None


def _writer(data: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(data)

    return write


def _fraction_of(message: str | None) -> float | None:
    if not message:
        return None
    if m := _PERCENT.search(message):
        return min(float(m.group(1)) / 100, 1.0)
    if (m := _STEP.search(message)) and int(m.group(2)):
        return min(int(m.group(1)) / int(m.group(2)), 1.0)
    return None


def _sleep(ctx: JobContext, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not ctx.cancelled and time.monotonic() < deadline:
        time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))
