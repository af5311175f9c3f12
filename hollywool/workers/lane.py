"""The GPU lane's executor, from the settings: one device runs jobs in the studio's process (as before);
several get a worker process each; a Ray address gets Ray actors on the cluster's GPUs."""

from __future__ import annotations

import logging
import os

from hollywool.jobs.events import EventBus
from hollywool.jobs.executor import Executor, ThreadExecutor
from hollywool.jobs.kinds import GPU_LANE
from hollywool.jobs.models import Job
from hollywool.jobs.store import JobStore
from hollywool.media.assets import AssetService
from hollywool.models.manager import ModelManager
from hollywool.settings import Settings
from hollywool.workers.pool import WorkerLink, WorkerPool

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


def model_need(models: ModelManager, job: Job) -> tuple[str | None, int | None]:
    """The job's model and the bytes it takes loaded (as the model manager estimates them), when known."""
    model_id = job.params.get("model")
    if not isinstance(model_id, str):
        return None, None
    try:
        return model_id, models.estimate_bytes(models.catalog.get(model_id))
    except Exception:  # an upscaler, a model removed since: no size, any worker
        return model_id, None


def gpu_lane(
    settings: Settings, store: JobStore, bus: EventBus, assets: AssetService, models: ModelManager
) -> Executor:
    links: list[tuple[str, str, WorkerLink]]
    if settings.ray_address:
        from hollywool.workers.ray_workers import ray_links

        links = ray_links(settings)
    else:
        devices = gpu_devices(settings)
        if len(devices) <= 1:
            return ThreadExecutor(GPU_LANE, capacity=1)
        from hollywool.workers.process import LocalProcess

        links = [(f"w{i}", device, LocalProcess(settings, device)) for i, device in enumerate(devices)]
    log.info("GPU lane: %d workers (%s)", len(links), ", ".join(device for _, device, _ in links))
    return WorkerPool(links, store=store, bus=bus, assets=assets, need=lambda job: model_need(models, job))
