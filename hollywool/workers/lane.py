"""The GPU lane's executor, from the settings: one device runs jobs in the studio's process (as before);
several get a worker process each; a Ray address gets Ray actors on the cluster's GPUs."""

from __future__ import annotations

import logging
import os
from dataclasses import replace

from hollywool.jobs.events import EventBus
from hollywool.jobs.executor import Executor, ThreadExecutor
from hollywool.jobs.kinds import GPU_LANE
from hollywool.jobs.models import Job
from hollywool.jobs.store import JobStore
from hollywool.media.assets import AssetService
from hollywool.media.references import ReferenceImages
from hollywool.models.manager import ModelManager
from hollywool.settings import Settings
from hollywool.workers.inputs import gather_inputs
from hollywool.workers.node_files import user_models
from hollywool.workers.pool import JobModel, WorkerLink, WorkerPool

log = logging.getLogger("hollywool.workers")


def gpu_devices(settings: Settings) -> list[str]:
    """HOLLYWOOL_GPUS ("0,1", "cuda:0,cuda:1", "cpu,cpu"), else every CUDA device NVML sees; a device forced
    with HOLLYWOOL_DEVICE is the only one."""
    if settings.gpus:
        return [f"cuda:{d}" if d.isdigit() else "cuda:0" if d == "cuda" else d for d in settings.gpus]
    if os.environ.get("HOLLYWOOL_DEVICE"):
        return [os.environ["HOLLYWOOL_DEVICE"]]
    from hollywool.system_info import nvml_gpus

    return [f"cuda:{gpu.index}" for gpu in nvml_gpus()]


def job_model(models: ModelManager, job: Job) -> JobModel:
    """The job's model, its catalogue entry and the bytes it takes loaded, as far as they are known; the
    user-added files it uses."""
    user = user_models(job.kind, job.params, models)
    model_id = job.params.get("model")
    if not isinstance(model_id, str):
        return JobModel(user_models=user)
    entry = models.catalog.find(model_id)
    if entry is None:  # not a catalogue model (an upscaler's id): any worker
        return JobModel(model_id, user_models=user)
    try:
        return JobModel(model_id, models.estimate_bytes(entry), entry, user)
    except Exception:  # its files cannot be measured now: no size, any worker
        log.warning("could not size %s for placement", model_id, exc_info=True)
        return JobModel(model_id, None, entry, user)


def gpu_lane(
    settings: Settings, store: JobStore, bus: EventBus, assets: AssetService, models: ModelManager
) -> Executor:
    links: list[tuple[str, str, WorkerLink]]
    on_worker = replace(settings, data_dir=settings.worker_data_dir) if settings.worker_data_dir else settings
    if settings.ray_address:
        from hollywool.workers.ray_workers import ray_links

        links = ray_links(on_worker)
    else:
        devices = gpu_devices(settings)
        if len(devices) <= 1:
            return ThreadExecutor(GPU_LANE, capacity=1)
        from hollywool.workers.process import LocalProcess

        links = [(f"w{i}", device, LocalProcess(on_worker, device)) for i, device in enumerate(devices)]
    log.info("GPU lane: %d workers (%s)", len(links), ", ".join(device for _, device, _ in links))
    references = ReferenceImages(settings.data_dir / "uploads", assets)
    return WorkerPool(
        links,
        store=store,
        bus=bus,
        assets=assets,
        describe=lambda job: job_model(models, job),
        gather=lambda job: gather_inputs(job.params, references, models.preferences.get()),
        preferences=models.preferences.get,
    )
