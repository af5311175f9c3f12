"""Models from the Hugging Face hub: cache lookups, downloads with byte progress, cache removal.

Downloads resume a file with a `Range` request when the connection drops mid-file, and continue
from the bytes on disk after a crash or a failed job (see `hub_blobs`); they skip files already in
the cache, honour `HF_TOKEN`, `HF_ENDPOINT`, `HF_HUB_OFFLINE` and `HF_HOME` / `HF_HUB_CACHE` as they
are when the download starts (the hub client reads some of them once, at import), and fail with a
clear message when the hub cannot be reached within the timeout.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hollywool.errors import StudioError, UnavailableError
from hollywool.models.catalog import ModelEntry
from hollywool.models.hub_blobs import ByteProgress, ProgressFn, bytes_on_disk, fetch_blob

if TYPE_CHECKING:
    from huggingface_hub import ModelInfo

_CONFIG_PATTERNS = ["model_index.json", "*/*.json", "*/*.txt", "*/*.model", "*/tokenizer*"]


class NotDownloaded(StudioError):
    status_code = 409


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_cache_dir() -> Path:
    """The hub cache folder from the environment now: HF_HUB_CACHE, else HF_HOME/hub, else the default."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.path.expandvars(os.environ["HF_HUB_CACHE"])).expanduser()
    default_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    return Path(os.path.expandvars(os.environ.get("HF_HOME") or str(default_home))).expanduser() / "hub"


def _sync_offline_mode() -> None:
    """The hub client reads HF_HUB_OFFLINE once, at import: make it follow the environment now."""
    from huggingface_hub import constants

    constants.HF_HUB_OFFLINE = offline()


def allow_patterns(entry: ModelEntry) -> list[str]:
    """Only what the diffusers folder layout needs (repos often also carry single-file copies); for split files,
    the files the entry names."""
    if entry.files:
        return entry.files.names()
    if entry.variant:
        v = entry.variant
        weights = [f"*/*.{v}.safetensors", f"*/*.{v}-*.safetensors", f"*/*.safetensors.index.{v}.json"]
    else:
        weights = ["*/*.safetensors"]
    return _CONFIG_PATTERNS + weights


def _ignore_patterns(entry: ModelEntry) -> list[str] | None:
    # Without a variant, skip the half-precision copies that many repos carry beside the full ones.
    return None if entry.variant or entry.files else ["*.fp16.*", "*.bf16.*", "*.fp16-*", "*.bf16-*"]


def _silent_bars():  # noqa: ANN202
    """A tqdm class that shows nothing: the studio reports the bytes itself (see `hub_blobs`)."""
    from tqdm.auto import tqdm

    class _Silent(tqdm):
        def __init__(self, *args: Any, **kwargs: Any):
            kwargs.pop("name", None)
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)  # pyright: ignore[reportUnknownMemberType]  # stubs: untyped **kwargs

    return _Silent


class HubModels:
    def __init__(self, timeout_s: float = 15.0, cache_dir: Path | None = None):
        self.timeout_s = timeout_s
        self._cache_dir = cache_dir

    @property
    def cache_dir(self) -> Path:
        """The given folder, else the hub cache the environment names now (not at import)."""
        return self._cache_dir or hub_cache_dir()

    def local_snapshot(self, entry: ModelEntry) -> Path | None:
        """The cached snapshot folder of a hub model (for split files: its diffusion-model file, once every file it
        names is cached), or None when it is not downloaded."""
        from huggingface_hub import try_to_load_from_cache

        if entry.files:
            found = [self.extra_file(entry.path, name) for name in entry.files.names()]
            return found[0] if all(found) else None
        found = try_to_load_from_cache(entry.path, "model_index.json", cache_dir=self.cache_dir)
        return Path(found).parent if isinstance(found, str) else None

    def extra_file(self, repo: str, filename: str) -> Path | None:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo, filename, cache_dir=self.cache_dir)
        return Path(found) if isinstance(found, str) else None

    def is_downloaded(self, entry: ModelEntry) -> bool:
        if self.local_snapshot(entry) is None:
            return False
        unet = entry.extra.get("unet")
        return not unet or self.extra_file(unet["repo"], unet["file"]) is not None

    def cache_usage(self) -> dict[str, dict[str, Any]]:
        """{repo id: {size_bytes, last_accessed, last_modified}} for every cached model repo."""
        from huggingface_hub import scan_cache_dir

        try:
            info = scan_cache_dir(self.cache_dir)
        except Exception:  # no cache folder yet
            return {}
        return {
            repo.repo_id: {
                "size_bytes": repo.size_on_disk,
                "last_accessed": repo.last_accessed,
                "last_modified": repo.last_modified,
            }
            for repo in info.repos
            if repo.repo_type == "model"
        }

    def delete(self, repo_ids: list[str]) -> int:
        """Remove every cached revision of `repo_ids`; returns the bytes freed."""
        from huggingface_hub import scan_cache_dir
        from huggingface_hub.errors import CacheNotFound
        from huggingface_hub.file_download import repo_folder_name

        try:
            info = scan_cache_dir(self.cache_dir)
        except CacheNotFound:
            return 0
        # Partial downloads go too (the library counts them as orphaned `*.incomplete` files).
        folders = {repo_folder_name(repo_id=r, repo_type="model") for r in repo_ids}
        freed = 0
        for kept in info.incomplete_files:
            if kept.file_path.parent.parent.name in folders:
                kept.file_path.unlink(missing_ok=True)
                freed += kept.size_on_disk
        revisions = [rev.commit_hash for repo in info.repos if repo.repo_id in repo_ids for rev in repo.revisions]
        if not revisions:
            return freed
        strategy = info.delete_revisions(*revisions)
        strategy.execute()
        return freed + strategy.expected_freed_size

    def download(self, entry: ModelEntry, report: ProgressFn) -> Path:
        """Download (or resume) a hub model; `report(done_bytes, total_bytes)` as bytes arrive."""
        # The hub client leaves some parameters of its download functions untyped (a bare dict, tqdm).
        from huggingface_hub import HfApi, hf_hub_download, hf_hub_url, snapshot_download  # pyright: ignore[reportUnknownVariableType]
        from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
        from huggingface_hub.file_download import repo_folder_name

        if offline():
            raise UnavailableError(
                f"{entry.name} ({entry.path}) cannot be downloaded: offline mode is on (HF_HUB_OFFLINE=1). "
                "Unset HF_HUB_OFFLINE and restart the studio, then retry; or add files you already have "
                "(Models, Add a model)."
            )
        _sync_offline_mode()
        token = os.environ.get("HF_TOKEN") or None
        hub = endpoint()
        cache = self.cache_dir
        try:
            # Resolve the revision first with a hard timeout: an unreachable hub fails here, fast.
            info = HfApi(endpoint=hub, token=token).model_info(entry.path, timeout=self.timeout_s, files_metadata=True)
            storage = cache / repo_folder_name(repo_id=entry.path, repo_type="model")
            files = self._wanted(entry, info)
            on_disk = {etag: bytes_on_disk(storage, etag, size) for etag, size in files.values()}
            planned = sum(size for _, size in files.values()) or None
            progress = ByteProgress(report, planned, on_disk)
            progress.add(0)  # the first report counts what earlier attempts left on disk
            missing = [name for name, (etag, size) in files.items() if on_disk[etag] < size]
            fetch = partial(fetch_blob, token=token, timeout=self.timeout_s, endpoint=hub, progress=progress)
            _each(missing, lambda name: fetch(storage, hf_hub_url(entry.path, name, revision=info.sha, endpoint=hub)))
            # Every blob is in the cache now: the library links the snapshot (and fetches any file the
            # listing did not size).
            folder = snapshot_download(
                entry.path,
                revision=info.sha,
                endpoint=hub,
                token=token,
                cache_dir=cache,
                allow_patterns=allow_patterns(entry),
                ignore_patterns=_ignore_patterns(entry),
                etag_timeout=self.timeout_s,
                tqdm_class=_silent_bars(),
                max_workers=4,
            )
            unet = entry.extra.get("unet")
            if unet:
                unet_storage = cache / repo_folder_name(repo_id=unet["repo"], repo_type="model")
                silent = ByteProgress(lambda _done, _total: None, None, {})
                fetch(unet_storage, hf_hub_url(unet["repo"], unet["file"], endpoint=hub), progress=silent)
                hf_hub_download(unet["repo"], unet["file"], endpoint=hub, token=token, cache_dir=cache)
            # Downloading by commit hash leaves no refs/main: record it, so cache look-ups find the snapshot.
            if info.sha:  # the hub always names the commit; without one the library wrote refs/main itself
                _write_ref(cache, entry.path, "main", info.sha)
            if planned:
                report(planned, planned)
        except GatedRepoError as exc:
            raise StudioError(_gated_message(entry, token is not None and exc.response.status_code == 403)) from None
        except RepositoryNotFoundError:
            raise StudioError(f"{entry.path} was not found on {hub} (or it is private: set HF_TOKEN)") from None
        except HfHubHTTPError as exc:
            raise UnavailableError(f"the hub refused the download of {entry.path}: {exc}") from None
        except (OSError, TimeoutError) as exc:  # connection refused, DNS, timeouts (httpx errors are OSErrors)
            raise UnavailableError(_unreachable(entry, hub), detail=_raw(exc)) from None
        except Exception as exc:
            if exc.__class__.__module__.startswith(("httpx", "httpcore", "requests", "urllib3")):
                raise UnavailableError(_unreachable(entry, hub), detail=_raw(exc)) from None
            raise
        return Path(folder)

    def _wanted(self, entry: ModelEntry, info: ModelInfo) -> dict[str, tuple[str, int]]:
        """{file: (blob name, size)} of the files the download needs, from the repo listing.

        The blob name is the hub's ETag: the sha256 of an LFS file, the git blob id of another.
        """
        from huggingface_hub.utils import filter_repo_objects

        siblings = {s.rfilename: s for s in info.siblings or []}
        ignore = _ignore_patterns(entry)
        names = filter_repo_objects(siblings, allow_patterns=allow_patterns(entry), ignore_patterns=ignore)
        out: dict[str, tuple[str, int]] = {}
        for name in names:
            s = siblings[name]
            etag = s.lfs.sha256 if s.lfs else s.blob_id
            if etag and s.size is not None:
                out[name] = (etag, s.size)
        return out


def _each(items: list[str], fn: Callable[[str], None], workers: int = 4) -> None:
    """`fn` on every item, a few at a time; the first error stops those not started and is raised."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, item) for item in items]
        try:
            for future in futures:
                future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def _write_ref(cache: Path, repo_id: str, ref: str, commit: str) -> None:
    from huggingface_hub.file_download import repo_folder_name

    path = cache / repo_folder_name(repo_id=repo_id, repo_type="model") / "refs" / ref
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != commit:
        tmp = path.with_name(f".{ref}.{os.getpid()}.tmp")
        tmp.write_text(commit)
        tmp.replace(path)


def _gated_message(entry: ModelEntry, refused_token: bool) -> str:
    if refused_token:
        return (
            f"{entry.path} is gated and the account of HF_TOKEN has no access yet: accept its licence on "
            f"https://huggingface.co/{entry.path} with that account (or set HF_TOKEN to a token of one that has), "
            "then retry."
        )
    return (
        f"{entry.path} is gated: accept its licence on the model's Hugging Face page with your account, "
        "then set HF_TOKEN to an access token of that account and retry."
    )


def _unreachable(entry: ModelEntry, hub: str) -> str:
    return (
        f"The model hub at {hub} cannot be reached, so {entry.name} ({entry.path}) cannot be downloaded. Check the "
        "network connection (or HF_ENDPOINT), then retry; models already downloaded still work."
    )


def _raw(exc: BaseException) -> str:
    """The library's own words, for the job's detail page (never the message)."""
    return f"{exc.__class__.__name__}: {str(exc)[:500]}"


class Throttle:
    """Calls `fn` at most every `interval_s` seconds (and always for the final value)."""

    def __init__(self, fn: ProgressFn, interval_s: float = 0.25):
        self.fn = fn
        self.interval_s = interval_s
        self._last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval_s or (total and done >= total):
            self._last = now
            self.fn(done, total)
