"""The `civitai.download` job kind: one model version file, resumable and verified.

Rules (they hold whatever stops the download):
1. Bytes go to a hidden temporary file, `<folder>/.<download id>.part`, never to the final name.
2. Each connection asks Civitai's download URL again (a signed file URL expires) with
   `Range: bytes=<size of the temporary file>-`, so a dropped connection, a Civitai restart or a
   studio restart resumes where the bytes stopped. A server that ignores the range starts over.
3. The SHA-256 is computed while the bytes arrive (the existing part is hashed first on resume) and
   compared with the version's published `hashes.SHA256`. A mismatch deletes the temporary file and
   fails the job; only a verified file is renamed to its final name.
4. Cancel deletes the temporary file; a studio shutdown keeps it (the job is queued again).
5. Before any byte is fetched, the folder's free space must hold what is left plus a reserve.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import httpx
from pydantic import BaseModel

from hollywool.errors import StudioError
from hollywool.integrations.civitai.client import CivitaiClient, CivitaiUnavailable
from hollywool.integrations.civitai.mapping import folder_for
from hollywool.integrations.civitai.records import Download, DownloadRepository, DownloadStatus
from hollywool.jobs.context import JobCancelled, JobContext, JobInterrupted
from hollywool.jobs.events import DownloadProgress, EventBus

log = logging.getLogger("hollywool.civitai")

KIND = "civitai.download"
DISK_RESERVE_BYTES = 64 * 1024 * 1024
_EVENT_EVERY_S = 0.25
_PERSIST_EVERY_S = 1.0
# Reconnections in a row that bring no new byte before the download gives up.
MAX_STALLED_RECONNECTS = 5


class DownloadParams(BaseModel):
    download_id: str


class InsufficientStorageError(StudioError):
    status_code = 507


class HashMismatchError(StudioError):
    status_code = 502


def disk_free(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n < 1e9 else f"{n / 1e9:.2f} GB"


def check_free_space(folder: Path, needed: int | None) -> None:
    if not needed:
        return
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = disk_free(probe)
    if free < needed + DISK_RESERVE_BYTES:
        raise InsufficientStorageError(
            f"Not enough free disk space in {folder}: the download needs {_mb(needed)} "
            f"(plus {_mb(DISK_RESERVE_BYTES)} to spare) and {_mb(free)} is free."
        )


_FILENAME_RE = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.IGNORECASE)


def filename_from_disposition(header: str | None) -> str | None:
    if not header:
        return None
    from urllib.parse import unquote

    matches = _FILENAME_RE.findall(header)
    return safe_filename(unquote(matches[-1])) if matches else None


def safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    name = re.sub(r"[^\w.\- ()\[\]+]", "_", name)
    return name[:200] or "model.safetensors"


def file_params_from_url(url: str | None) -> dict[str, str]:
    """The file selection (`type`, `format`, `size`, `fp`) of a file's Civitai download URL.

    Only these are kept: the host always comes from the studio's Civitai URL setting.
    """
    if not url:
        return {}
    from urllib.parse import parse_qsl, urlsplit

    return {k: v for k, v in parse_qsl(urlsplit(url).query) if k in ("type", "format", "size", "fp")}


def _content_range_total(header: str | None) -> tuple[int | None, int | None]:
    """`bytes 100-199/1000` -> (100, 1000)."""
    m = re.match(r"bytes (\d+)-\d+/(\d+|\*)", header or "")
    if not m:
        return None, None
    return int(m.group(1)), None if m.group(2) == "*" else int(m.group(2))


class _Rate:
    """Bytes per second over the last few seconds."""

    def __init__(self, window_s: float = 3.0):
        self.window_s = window_s
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, t: float, total: int) -> float | None:
        self.samples.append((t, total))
        while len(self.samples) > 2 and t - self.samples[0][0] > self.window_s:
            self.samples.popleft()
        t0, b0 = self.samples[0]
        return (total - b0) / (t - t0) if t > t0 else None


class Downloader:
    """Runs `civitai.download` jobs."""

    def __init__(
        self,
        client: CivitaiClient,
        repo: DownloadRepository,
        bus: EventBus,
        root: Path,
        on_completed: Callable[[Download], None] = lambda _d: None,
    ):
        self.client = client
        self.repo = repo
        self.bus = bus
        self.root = root
        self.on_completed = on_completed
        self.live: dict[str, DownloadProgress] = {}

    def folder(self, download: Download) -> Path:
        return self.root / folder_for(download.model_type)

    def part_path(self, download: Download) -> Path:
        return self.folder(download) / f".{download.id}.part"

    def remove_part(self, download: Download) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.part_path(download).unlink()

    # -- the job -----------------------------------------------------------------------------------
    def run(self, ctx: JobContext, params: DownloadParams) -> dict:
        download = self.repo.get(params.download_id)
        if download is None:
            raise StudioError(f"download {params.download_id} no longer exists")
        if download.status == DownloadStatus.completed and download.path and Path(download.path).exists():
            return {"download_id": download.id, "path": download.path}
        try:
            return self._run(ctx, download)
        except JobInterrupted:
            self.repo.update(download.id, status=DownloadStatus.queued, error=None)
            raise
        except JobCancelled:
            self.remove_part(download)
            self.repo.update(download.id, status=DownloadStatus.cancelled, error=None, downloaded_bytes=0)
            raise
        except StudioError as exc:
            self.repo.update(download.id, status=DownloadStatus.failed, error=exc.message)
            raise
        except Exception as exc:
            self.repo.update(download.id, status=DownloadStatus.failed, error=f"{exc.__class__.__name__}: {exc}")
            raise
        finally:
            self.live.pop(download.id, None)

    def _sleep(self, ctx: JobContext) -> Callable[[float], None]:
        def sleep(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                ctx.raise_if_cancelled()
                time.sleep(min(left, 0.1))
            ctx.raise_if_cancelled()

        return sleep

    def _run(self, ctx: JobContext, download: Download) -> dict:
        folder = self.folder(download)
        part = self.part_path(download)
        have = part.stat().st_size if part.exists() else 0
        check_free_space(folder, (download.total_bytes or 0) - have)
        folder.mkdir(parents=True, exist_ok=True)
        self.repo.update(download.id, status=DownloadStatus.downloading, error=None, job_id=ctx.job_id)
        ctx.set_stage("downloading", f"Downloading {download.file_name or download.model_name}")

        hasher = hashlib.sha256()
        if have:
            ctx.set_stage("downloading", f"Resuming at {_mb(have)}")
            with open(part, "rb") as f:
                while block := f.read(1 << 20):
                    hasher.update(block)
                    ctx.raise_if_cancelled()
        offset = have
        total = download.total_bytes
        filename = download.filename
        stalled = 0
        sleep = self._sleep(ctx)
        rate = _Rate()
        last_event = last_persist = 0.0
        file_params = file_params_from_url(download.url)
        while True:
            ctx.raise_if_cancelled()
            at_start = offset
            try:
                with self.client.open_download(download.version_id, start=offset, sleep=sleep,
                                               file_params=file_params) as resp:  # fmt: skip
                    if resp.status_code == 416:  # nothing past `offset`: the part is whole
                        break
                    if resp.status_code == 200 and offset:
                        log.info("download %s: the server ignored the range; starting over", download.id)
                        offset, hasher = 0, hashlib.sha256()
                        part.write_bytes(b"")
                    if resp.status_code == 206:
                        start, full = _content_range_total(resp.headers.get("content-range"))
                        if start is not None and start != offset:
                            raise CivitaiUnavailable(
                                f"Civitai resumed at byte {start} instead of {offset}; start the download again."
                            )
                        total = full or total
                    elif resp.headers.get("content-length"):
                        total = int(resp.headers["content-length"])
                    filename = filename or filename_from_disposition(resp.headers.get("content-disposition"))
                    if filename != download.filename or total != download.total_bytes:
                        download = self.repo.update(download.id, filename=filename, total_bytes=total) or download
                    with open(part, "ab") as out:
                        for chunk in resp.iter_bytes():  # as received: a drop loses no buffered byte
                            out.write(chunk)
                            hasher.update(chunk)
                            offset += len(chunk)
                            t = time.monotonic()
                            speed = rate.add(t, offset)
                            if t - last_event >= _EVENT_EVERY_S:
                                last_event = t
                                self._report(ctx, download, offset, total, speed)
                            if t - last_persist >= _PERSIST_EVERY_S:
                                last_persist = t
                                out.flush()
                                self.repo.update(download.id, downloaded_bytes=offset)
                            ctx.raise_if_cancelled()
                if total is None or offset >= total:
                    break
                raise httpx.RemoteProtocolError(f"the connection closed at byte {offset} of {total}")
            except httpx.TransportError as exc:
                stalled = 0 if offset > at_start else stalled + 1
                if stalled > MAX_STALLED_RECONNECTS:
                    raise CivitaiUnavailable(
                        f"The download keeps failing at byte {offset} ({exc.__class__.__name__}); "
                        "retry it later: it will resume from there."
                    ) from None
                log.info("download %s: connection lost at byte %d (%s); resuming", download.id, offset, exc)
                self.repo.update(download.id, downloaded_bytes=offset)
                sleep(min(0.2 * 2**stalled, 5.0))

        self._report(ctx, download, offset, total or offset, None)
        return self._finish(ctx, download, part, offset, hasher.hexdigest().upper())

    def _report(self, ctx: JobContext, download: Download, done: int, total: int | None, speed: float | None) -> None:
        eta = (total - done) / speed if speed and total else None
        event = DownloadProgress(
            download_id=download.id,
            job_id=ctx.job_id,
            filename=download.filename or download.file_name,
            downloaded_bytes=done,
            total_bytes=total,
            speed_bps=None if speed is None else round(speed, 1),
            eta_seconds=None if eta is None else round(eta, 2),
        )
        self.live[download.id] = event
        ctx.publish(event)
        speed_text = f" at {_mb(speed)}/s" if speed else ""
        message = f"{_mb(done)} of {_mb(total)}{speed_text}" if total else f"{_mb(done)}{speed_text}"
        ctx.progress(done // 1024, (total or done) // 1024 or 1, fraction=done / total if total else 0.0,
                     message=message)  # fmt: skip

    def _finish(self, ctx: JobContext, download: Download, part: Path, size: int, digest: str) -> dict:
        ctx.set_stage("verifying", "Checking the SHA-256")
        self.repo.update(download.id, status=DownloadStatus.verifying, downloaded_bytes=size)
        if download.sha256 and digest != download.sha256.upper():
            self.remove_part(download)
            raise HashMismatchError(
                f"The downloaded file is corrupt: its SHA-256 is {digest} but Civitai publishes "
                f"{download.sha256.upper()}. The file was deleted; start the download again."
            )
        with open(part, "rb+") as f:
            os.fsync(f.fileno())
        final = self._final_path(download, part.parent)
        os.replace(part, final)
        done = self.repo.update(
            download.id, status=DownloadStatus.completed, path=str(final), filename=final.name,
            downloaded_bytes=size, total_bytes=size, sha256=download.sha256 or digest, error=None,
        )  # fmt: skip
        try:
            self.on_completed(done)
        except Exception:  # registering the file must not turn a good download into a failed one
            log.exception("could not register download %s", download.id)
        return {"download_id": download.id, "path": str(final), "sha256": digest, "verified": bool(download.sha256)}

    def _final_path(self, download: Download, folder: Path) -> Path:
        name = safe_filename(download.filename or download.file_name or f"{download.version_id}.safetensors")
        path = folder / name
        if path.exists():  # another version's file of the same name: keep both
            stem, suffix = os.path.splitext(name)
            path = folder / f"{stem}_v{download.version_id}{suffix}"
        return path
