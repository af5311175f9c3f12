"""What the router and the studio call for Civitai: browse, the token, downloads, identification.

The token lives in the secrets store under `civitai`; the client reads it on each request and only
`has_token` ever leaves this service. Downloads are rows of the `downloads` table run by jobs of the
`civitai.download` kind on a network lane; listeners (the model catalogue, the LoRA list) hear about
each verified file.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from hollywool.errors import ConflictError, NotFoundError
from hollywool.integrations.civitai.client import CivitaiClient
from hollywool.integrations.civitai.downloads import KIND, Downloader, DownloadParams, check_free_space
from hollywool.integrations.civitai.identify import Identification, Identifier
from hollywool.integrations.civitai.mapping import CivitaiModel, CivitaiVersion, SearchPage, SearchQuery, folder_for
from hollywool.integrations.civitai.records import Download, DownloadRepository, DownloadStatus, ref_for
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.jobs.models import JobStatus
from hollywool.jobs.service import JobService
from hollywool.settings import Settings
from hollywool.storage.db import Database
from hollywool.storage.secrets import SecretStore

log = logging.getLogger("hollywool.civitai")

TOKEN_NAME = "civitai"


class DownloadedVersion(BaseModel):
    version_id: int
    model_id: int | None = None
    file_id: int | None = None
    download_id: str
    status: DownloadStatus
    path: str | None = None
    progress: float = Field(0.0, description="0 to 100")


class CivitaiService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        secrets: SecretStore,
        jobs: JobService,
        *,
        lane: str,
        client: CivitaiClient | None = None,
        base_url: Callable[[], str] | None = None,
    ):
        self.settings = settings
        self.secrets = secrets
        self.jobs = jobs
        self.lane = lane
        # `base_url`: asked on each request (the address chosen in Settings); else the environment's.
        self.client = client or CivitaiClient(
            base_url or settings.services.civitai,
            token=lambda: secrets.get(TOKEN_NAME),
            timeout_s=settings.civitai_timeout_s,
        )
        self.repo = DownloadRepository(db)
        self.downloader = Downloader(self.client, self.repo, jobs.bus, settings.civitai_dir, self._completed)
        self.identifier = Identifier(self.client)
        self._listeners: list[Callable[[Download], None]] = []
        self._removed_listeners: list[Callable[[Download], None]] = []

    def register(self, kinds: KindRegistry) -> None:
        kinds.register(
            JobKind(
                KIND,
                DownloadParams,
                self.downloader.run,
                lane=lambda _p: self.lane,
                label="Civitai download",
                title=self._download_title,
            )
        )

    def _download_title(self, params: DownloadParams) -> str | None:
        download = self.repo.get(params.download_id)
        return (download.file_name or download.model_name or None) if download else None

    def close(self) -> None:
        self.client.close()

    # -- token ------------------------------------------------------------------------------------
    @property
    def has_token(self) -> bool:
        return bool(self.secrets.get(TOKEN_NAME))

    def set_token(self, token: str) -> None:
        self.secrets.set(TOKEN_NAME, token.strip())
        self.client.cache.clear()  # answers may differ for a logged-in user

    def clear_token(self) -> None:
        self.secrets.set(TOKEN_NAME, None)
        self.client.cache.clear()

    # -- browse -----------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchPage:
        return self.client.search(query)

    def model(self, model_id: int, *, nsfw: bool = False) -> CivitaiModel:
        return self.client.model(model_id, nsfw=nsfw)

    def version(self, version_id: int) -> CivitaiVersion:
        return self.client.version(version_id)

    # -- downloads --------------------------------------------------------------------------------
    def start_download(
        self, version_id: int, file_id: int | None = None, *, filename: str | None = None
    ) -> tuple[Download, bool]:
        """Queue a version's file (by id, else by name, else its primary file); (download, created).
        A version already downloaded or under way is returned as it is, never fetched a second time."""
        version = self.client.version(version_id)
        if file_id is None and filename:
            named = next((f for f in version.files if f.name == filename), None)
            file_id = named.id if named is not None else None
        file = version.file(file_id) if file_id is not None else version.primary_file()
        if file is None:
            which = f"file {file_id}" if file_id is not None else "file"
            raise NotFoundError(f"model version {version_id} has no {which} to download", field="file_id")
        ref = ref_for(version.id, file.id, primary=file_id is None or file.primary)
        existing = self.repo.by_ref(ref)
        if existing is not None:
            existing = self.reconcile(existing)
            if existing.status.active:
                return existing, False
            if existing.status == DownloadStatus.completed and existing.path and Path(existing.path).exists():
                return existing, False
        folder = self.settings.civitai_dir / folder_for(version.model_type)
        check_free_space(folder, file.size_bytes)
        facts = dict(url=file.download_url, total_bytes=file.size_bytes, sha256=file.sha256)
        if existing is None:
            model_type = version.model_type
            created = self.repo.create(
                ref,
                **facts,
                version_id=version.id,
                model_id=version.model_id,
                model_name=version.model_name or "",
                version_name=version.name,
                model_type=model_type,
                base_model=version.base_model,
                trained_words=version.trained_words,
                file_id=file.id,
                file_name=file.name,
                preview_url=next((p.url for p in version.images if not p.nsfw and p.type == "image"), None),
            )
            if created is None:  # another request created it a moment ago
                return self.repo.by_ref(ref), False
            download = created
        else:
            download = self.repo.reset(existing.id, **facts)
        job = self.jobs.submit(KIND, {"download_id": download.id})
        return self.repo.update(download.id, job_id=job.id), True

    def reconcile(self, download: Download) -> Download:
        """Bring an active row in line with its job when the job ended without the handler
        (cancelled while queued, failed by crash recovery)."""
        if not download.status.active or not download.job_id:
            return download
        job = self.jobs.store.get(download.job_id)
        if job is None:
            return self.repo.update(download.id, status=DownloadStatus.failed, error="its job was deleted")
        if job.status == JobStatus.cancelled:
            self.downloader.remove_part(download)
            return self.repo.update(download.id, status=DownloadStatus.cancelled, downloaded_bytes=0)
        if job.status == JobStatus.failed:
            return self.repo.update(download.id, status=DownloadStatus.failed, error=job.error)
        return download

    def _with_live(self, download: Download) -> Download:
        live = self.downloader.live.get(download.id)
        if live is not None and download.status.active:
            download = download.model_copy(
                update={
                    "downloaded_bytes": live.downloaded_bytes,
                    "total_bytes": live.total_bytes or download.total_bytes,
                    "speed_bps": live.speed_bps,
                    "eta_seconds": live.eta_seconds,
                }
            )
        return download

    def get_download(self, download_id: str) -> Download:
        download = self.repo.get(download_id)
        if download is None:
            raise NotFoundError(f"download {download_id} not found")
        return self._with_live(self.reconcile(download))

    def list_downloads(
        self, *, status: list[DownloadStatus] | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[Download], int]:
        items, total = self.repo.list(status=status, limit=limit, offset=offset)
        return [self._with_live(self.reconcile(d)) for d in items], total

    def cancel_or_delete(self, download_id: str, *, delete_file: bool = True) -> Download:
        """Cancel an active download (its partial file is deleted); forget a finished one, deleting
        its file unless `delete_file` is false."""
        download = self.get_download(download_id)
        if download.status.active:
            if download.job_id:
                with contextlib.suppress(ConflictError):  # it ended in between
                    self.jobs.cancel(download.job_id)
            return self.reconcile(self.repo.get(download_id) or download)
        if delete_file:
            self.downloader.remove_part(download)
            if download.path:
                with contextlib.suppress(FileNotFoundError):
                    Path(download.path).unlink()
        self.repo.delete(download_id)
        for listener in self._removed_listeners:
            listener(download)
        return download

    def downloaded_versions(self) -> list[DownloadedVersion]:
        items, _ = self.repo.list(limit=100_000)
        return [
            DownloadedVersion(
                version_id=d.version_id,
                model_id=d.model_id,
                file_id=d.file_id,
                download_id=d.id,
                status=d.status,
                path=d.path,
                progress=d.progress,
            )
            for d in map(self.reconcile, items)
            if d.status.active or d.status == DownloadStatus.completed
        ]

    def completed(self) -> list[Download]:
        items, _ = self.repo.list(status=[DownloadStatus.completed], limit=100_000)
        return [d for d in items if d.path and Path(d.path).exists()]

    # -- use ----------------------------------------------------------------------------------------
    def on_download(
        self, completed: Callable[[Download], None], removed: Callable[[Download], None] = lambda _d: None
    ) -> None:
        """Call `completed` for every verified file already on disk and each new one; `removed`
        when a finished download is deleted."""
        self._listeners.append(completed)
        self._removed_listeners.append(removed)
        for download in self.completed():
            try:
                completed(download)
            except Exception:
                log.exception("could not register Civitai download %s", download.id)

    def _completed(self, download: Download) -> None:
        for listener in self._listeners:
            listener(download)

    # -- identify -----------------------------------------------------------------------------------
    def identify(self, *, path: Path | None = None, sha256: str | None = None) -> Identification:
        return self.identifier.identify(path=path, sha256=sha256)

    def updates(self) -> list[Identification]:
        """Completed downloads whose model has a newer version on Civitai."""
        out = []
        for d in self.completed():
            if d.model_id is None:
                continue
            result = Identification(
                sha256=d.sha256 or "",
                path=d.path,
                known=True,
                model_id=d.model_id,
                model_name=d.model_name,
                model_type=d.model_type,
                version_id=d.version_id,
                version_name=d.version_name,
                base_model=d.base_model,
                trained_words=d.trained_words,
            )
            try:
                self.identifier.flag_update(result, d.model_id, d.version_id)
            except NotFoundError:
                continue
            if result.update_available:
                out.append(result)
        return out
