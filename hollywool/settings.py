"""The studio's static configuration: read once from the environment at start-up.

User-editable preferences (defaults, theme, log limits, service URLs chosen in the UI) live in the
database (see storage/preferences.py); this object holds what the process needs before it can open
the database, plus the environment overrides for every external service.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name, default)).expanduser().resolve()


def _env_paths(name: str) -> tuple[Path, ...]:
    """A list of folders separated like PATH (`:` on Linux and macOS, `;` on Windows)."""
    parts = os.environ.get(name, "").split(os.pathsep)
    return tuple(Path(p.strip()).expanduser().resolve() for p in parts if p.strip())


def _env_float(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _env_list(name: str) -> tuple[str, ...]:
    """A comma-separated variable as a tuple of lower-case items (trailing slashes dropped)."""
    items = (part.strip().rstrip("/").lower() for part in os.environ.get(name, "").split(","))
    return tuple(item for item in items if item)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class ServiceUrls:
    civitai: str = "https://civitai.com"
    comfyui: str = "http://127.0.0.1:8188"
    fal: str = ""  # empty: the real queue and platform hosts
    krea: str = "https://api.krea.ai"
    higgsfield: str = "https://platform.higgsfield.ai"
    anthropic: str = "https://api.anthropic.com"
    llm: str = "http://127.0.0.1:8080/v1"

    @classmethod
    def from_env(cls) -> ServiceUrls:
        d = cls()
        return cls(
            civitai=os.environ.get("HOLLYWOOL_CIVITAI_URL", d.civitai).rstrip("/"),
            comfyui=os.environ.get("HOLLYWOOL_COMFYUI_URL", d.comfyui).rstrip("/"),
            fal=os.environ.get("HOLLYWOOL_FAL_URL", d.fal).rstrip("/"),
            krea=os.environ.get("HOLLYWOOL_KREA_URL", d.krea).rstrip("/"),
            higgsfield=os.environ.get("HOLLYWOOL_HIGGSFIELD_URL", d.higgsfield).rstrip("/"),
            anthropic=os.environ.get("ANTHROPIC_BASE_URL", d.anthropic).rstrip("/"),
            llm=os.environ.get("HOLLYWOOL_LLM_URL", d.llm).rstrip("/"),
        )


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    outputs_dir: Path
    host: str = "127.0.0.1"
    port: int = 8031
    token: str | None = None
    # A job interrupted by a crash this many times is failed instead of re-queued.
    max_attempts: int = 3
    # Concurrent jobs on the network lane (remote providers, ComfyUI, downloads).
    network_concurrency: int = 8
    web_dir: Path | None = None
    lora_dirs: tuple[Path, ...] = ()
    # ComfyUI or A1111/Forge `models` folders whose checkpoints, diffusion models, LoRAs and VAEs are used in place.
    model_folders: tuple[Path, ...] = ()
    civitai_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "hollywool" / "civitai")
    services: ServiceUrls = field(default_factory=ServiceUrls)
    # Memory that loaded models may hold together (GB); None: measured from the GPU, unified memory or RAM.
    memory_budget_gb: float | None = None
    # The device's memory (GB) when it is not what can be measured: a GPU shared with other work, or a
    # smaller machine acted out (tests). Memory plans and refusals use it in place of the measured size.
    device_memory_gb: float | None = None
    # Seconds to wait for the model hub before a download fails as unreachable.
    hub_timeout_s: float = 15.0
    # Seconds a Civitai search or model page waits for Civitai before saying it cannot be reached.
    civitai_timeout_s: float = 8.0
    # Host names the studio answers besides localhost, loopback addresses, IP literals and `host`
    # (a defence against DNS rebinding), and other origins allowed to use the live streams and to
    # send writes from a browser (same-origin always is).
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    # The wildcard files of prompts (`__colors__` -> colors.txt); None: `wildcards` in the data folder.
    wildcards_dir: Path | None = None
    # The devices of the GPU lane's workers ("cuda:0,cuda:1"; "cpu,cpu" acts out two on the CPU).
    # Empty: every visible CUDA device. One device runs jobs in the studio's own process.
    gpus: tuple[str, ...] = ()
    # An existing Ray cluster (`ray://host:10001` or `auto`): the GPU workers are Ray actors on its nodes.
    ray_address: str | None = None
    # The Ray resource one worker takes: "GPU", or a custom one the nodes offer (`--resources='{"hollywool_gpu": 1}'`).
    ray_resource: str = "GPU"
    # The folder a GPU worker keeps its scratch files in (on its own machine); None: the data folder. A job's
    # inputs travel with it, so a worker needs only this and the model folder.
    worker_data_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.token is not None and not self.token.strip():
            raise ValueError(
                "HOLLYWOOL_TOKEN is blank (only spaces): set it to a real access token, or unset it to run without one."
            )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "hollywool.db"

    @property
    def wildcard_folder(self) -> Path:
        return self.wildcards_dir or self.data_dir / "wildcards"

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        repo_web = Path(__file__).resolve().parent.parent / "web" / "dist"
        values: dict[str, Any] = dict(
            data_dir=_env_path("HOLLYWOOL_DATA_DIR", "./data"),
            outputs_dir=_env_path("HOLLYWOOL_OUTPUTS_DIR", "./outputs"),
            host=os.environ.get("HOLLYWOOL_HOST", "127.0.0.1"),
            port=_env_int("HOLLYWOOL_PORT", 8031),
            token=os.environ.get("HOLLYWOOL_TOKEN") or None,
            max_attempts=_env_int("HOLLYWOOL_MAX_ATTEMPTS", 3),
            network_concurrency=_env_int("HOLLYWOOL_NETWORK_CONCURRENCY", 8),
            web_dir=_env_path("HOLLYWOOL_WEB_DIR", str(repo_web)),
            lora_dirs=(_env_path("HOLLYWOOL_LORA_DIR", "~/.hollywool/loras"),),
            model_folders=_env_paths("HOLLYWOOL_MODEL_FOLDERS"),
            civitai_dir=_env_path("HOLLYWOOL_CIVITAI_DIR", "~/.cache/hollywool/civitai"),
            services=ServiceUrls.from_env(),
            memory_budget_gb=_env_float("HOLLYWOOL_MEMORY_BUDGET_GB", None),
            device_memory_gb=_env_float("HOLLYWOOL_DEVICE_MEMORY_GB", None),
            hub_timeout_s=_env_float("HOLLYWOOL_HUB_TIMEOUT", 15.0),
            civitai_timeout_s=_env_float("HOLLYWOOL_CIVITAI_TIMEOUT", 8.0),
            allowed_hosts=_env_list("HOLLYWOOL_ALLOWED_HOSTS"),
            allowed_origins=_env_list("HOLLYWOOL_ALLOWED_ORIGINS"),
            wildcards_dir=_env_path("HOLLYWOOL_WILDCARDS_DIR", "")
            if os.environ.get("HOLLYWOOL_WILDCARDS_DIR")
            else None,
            gpus=_env_list("HOLLYWOOL_GPUS"),
            ray_address=os.environ.get("HOLLYWOOL_RAY_ADDRESS") or None,
            ray_resource=os.environ.get("HOLLYWOOL_RAY_RESOURCE") or "GPU",
            worker_data_dir=_env_path("HOLLYWOOL_WORKER_DATA_DIR", "")
            if os.environ.get("HOLLYWOOL_WORKER_DATA_DIR")
            else None,
        )
        values.update(overrides)
        return cls(**values)

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.outputs_dir.mkdir(parents=True, exist_ok=True)
