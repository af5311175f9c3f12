"""The studio: every service, built once from settings in dependency order, here and nowhere else.

settings -> database -> repositories, the secret store -> event bus -> job system -> engines and
integrations (each registers its job kinds) -> the generation router -> bulk batches.
The API, the CLI's in-process mode and the tests all start from `Studio(settings)`.
Engines import torch lazily, on their first job, so building the studio stays fast.
"""

from __future__ import annotations

import logging
from pathlib import Path

from hollywool.bulk.service import BulkService
from hollywool.engines.comfyui.service import ComfyService
from hollywool.engines.image.image_job import ImageJob
from hollywool.engines.prompts.wildcards import Wildcards
from hollywool.engines.remote.directory import ProviderDirectory
from hollywool.engines.remote.job import RemoteEngine
from hollywool.engines.router import GenerationRouter
from hollywool.engines.upscale.engine import UpscaleEngine
from hollywool.engines.video.engine import VideoEngine
from hollywool.integrations.civitai.service import CivitaiService
from hollywool.integrations.civitai.use import attach_to_models
from hollywool.integrations.llm.service import LlmService
from hollywool.jobs.events import EventBus
from hollywool.jobs.executor import ThreadExecutor
from hollywool.jobs.kinds import GPU_LANE, KindRegistry
from hollywool.jobs.scheduler import Scheduler
from hollywool.jobs.service import JobService, JobViews
from hollywool.jobs.store import SqliteJobStore
from hollywool.media.assets import AssetService
from hollywool.media.references import ReferenceImages
from hollywool.models.manager import ModelManager
from hollywool.models.service import ModelService
from hollywool.service_urls import ServiceAddresses
from hollywool.settings import Settings
from hollywool.storage.assets import AssetRepository
from hollywool.storage.comfyui_workflows import ComfyWorkflowRepository
from hollywool.storage.db import Database
from hollywool.storage.lock import DataFolderLock
from hollywool.storage.preferences import PreferencesRepository
from hollywool.storage.request_logs import RequestLogRepository
from hollywool.storage.secrets import SecretStore
from hollywool.storage.sessions import SessionRepository
from hollywool.workers.lane import gpu_lane
from hollywool.workers.pool import WorkerPool

log = logging.getLogger("hollywool")


class Studio:
    def __init__(self, settings: Settings, lock: DataFolderLock | None = None):
        """`lock`: the data folder's lock when the caller took it first (the CLI, before the database opens)."""
        settings.ensure_dirs()
        self.settings = settings
        services = settings.services

        # Storage: the database and its repositories, and the one secret store every key lives in.
        self.db = Database(settings.db_path)
        self.assets_repo = AssetRepository(self.db)
        self.sessions = SessionRepository(self.db)
        self.preferences = PreferencesRepository(self.db)
        self.request_logs = RequestLogRepository(self.db, policy=self._log_policy)
        self.assets = AssetService(self.assets_repo, settings.outputs_dir)
        self.secrets = SecretStore.in_data_dir(settings.data_dir)

        # The job system; jobs reach local models through the model manager it hands them (`ctx.models`).
        self.bus = EventBus()
        self.models = ModelManager(settings, self.bus, self.preferences)
        self.kinds = KindRegistry()
        self.store = SqliteJobStore(self.db)
        views = JobViews(self.assets_repo, self.kinds, self.store)
        self.scheduler = Scheduler(
            self.store,
            self.kinds,
            self.bus,
            self.assets,
            work_root=self.work_root,
            view=views.one,
            max_attempts=settings.max_attempts,
            models=self.models,
        )
        self.jobs = JobService(self.store, self.kinds, self.scheduler, self.bus, views)
        # One device: jobs run in this process; several (or a Ray cluster): a worker each (hollywool/workers/).
        self.gpu_lane = gpu_lane(settings, self.store, self.bus, self.assets, self.models)
        self.scheduler.add_lane(GPU_LANE, self.gpu_lane)
        if isinstance(self.gpu_lane, WorkerPool):
            self.preferences.add_listener(self.gpu_lane.set_preferences)  # a worker's budget follows the settings
            self.models.worker_devices = self.gpu_lane.devices  # where jobs run: loaded flags, submit-time checks

        # Local engines: one job kind each over the one model manager, sharing the reference uploads.
        self.model_service = ModelService(self.models)
        self.model_service.register(self.kinds, self.add_network_lane)
        self.references = references = ReferenceImages(settings.data_dir / "uploads", self.assets)
        wildcards = Wildcards(settings.wildcard_folder)
        self.image_job = ImageJob(self.models, references, wildcards)
        self.image_job.register(self.kinds)
        self.video_engine = VideoEngine(self.models, self.assets, references, wildcards)
        self.video_engine.register(self.kinds)
        self.upscale_engine = UpscaleEngine(self.models.upscalers, self.assets)
        self.upscale_engine.register(self.kinds)

        # Outside services.
        self.comfyui = ComfyService(
            lambda: self.service_urls.url("comfyui"),
            ComfyWorkflowRepository(self.db),
            self.jobs,
            lane=self.add_network_lane("comfyui", 1),
        )
        self.comfyui.register(self.kinds)
        self.civitai = CivitaiService(
            settings,
            self.db,
            self.secrets,
            self.jobs,
            lane=self.add_network_lane("downloads", 2),
            base_url=lambda: self.service_urls.url("civitai"),
        )
        self.civitai.register(self.kinds)
        attach_to_models(self.civitai, self.models)  # downloads become models and LoRAs
        # Remote input images go through the same checks and store as local jobs' (`references`).
        self.remote = RemoteEngine(
            data_dir=settings.data_dir,
            secrets=self.secrets,
            services=services,
            db=self.db,
            preferences=self.preferences,
            references=references,
        )
        self.remote.register(self.kinds, self.add_network_lane)
        self.llm = LlmService(
            self.remote.keys,
            self.remote.configs,
            self.preferences,
            {"anthropic": services.anthropic, "openai_compatible": services.llm},
        )
        self.providers = ProviderDirectory(self.remote, self.llm)
        # Every service's address: chosen in Settings, else the environment's (read on each use).
        self.service_urls = ServiceAddresses(services, self.preferences, self.providers, self.civitai.clear_token)

        # Local or remote, decided once by the model id, for the job routes and bulk batches alike.
        self.router = GenerationRouter(self.jobs, self.remote)
        self.bulk = BulkService(self.jobs, self.router, self.remote.ledger, self.sessions, self.assets)
        self.bulk.register(self.kinds, self.add_network_lane("bulk", 64))

        self.lock = lock or DataFolderLock(settings.data_dir)
        self._started = False

    def _log_policy(self) -> tuple[bool, int]:
        prefs = self.preferences.get()
        return prefs.request_logging, prefs.max_log_entries

    def add_network_lane(self, name: str, capacity: int) -> str:
        lane = f"net:{name}"
        if not self.scheduler.has_lane(lane):
            self.scheduler.add_lane(lane, ThreadExecutor(lane, capacity=capacity))
        return lane

    @property
    def workers(self) -> WorkerPool | None:
        """The GPU workers, when the GPU lane has several (else jobs run in this process)."""
        return self.gpu_lane if isinstance(self.gpu_lane, WorkerPool) else None

    @property
    def work_root(self) -> Path:
        return self.settings.data_dir / "jobs"

    def claim_data_folder(self, url: str | None = None) -> None:
        """Take the data folder for this process (raises DataFolderInUse); `url`: where the API answers."""
        self.lock.acquire(url)

    def start(self) -> None:
        if not self._started:
            # Before anything re-queues "running" jobs: they may be another live process's.
            if not self.lock.held:
                self.claim_data_folder()
            self._remove_orphan_temp_files()
            if isinstance(self.gpu_lane, WorkerPool):
                self.gpu_lane.start()
            self.scheduler.start()
            self._started = True

    def _remove_orphan_temp_files(self) -> None:
        from hollywool.media.files import remove_orphan_temp_files

        s = self.settings
        try:
            remove_orphan_temp_files([s.outputs_dir, s.data_dir], skip=(s.civitai_dir,))
        except OSError:  # tidying must not stop the studio from starting
            log.exception("could not remove temporary files left by an interrupted write")

    def stop(self) -> None:
        try:
            if self._started:
                self.scheduler.stop()
                self._started = False
            self.request_logs.close()  # writes the rows still queued
            self.models.close()
            self.comfyui.close()
            self.civitai.close()
            self.remote.close()
            self.db.close()
        finally:
            self.lock.release()
