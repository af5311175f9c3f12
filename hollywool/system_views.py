"""What `system_info` answers: this machine's readings and software, as the API sends them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field


class GpuStatus(BaseModel):
    """One GPU as NVML reads it."""

    index: int
    name: str
    memory_total_gb: float
    memory_used_gb: float
    unified_memory: bool = Field(default=False, description="the GPU shares system RAM (DGX Spark)")
    utilization_percent: float | None = None
    temperature_c: float | None = None


class CpuStatus(BaseModel):
    percent: float
    cores: int | None
    physical_cores: int | None = None
    name: str


class MemoryStatus(BaseModel):
    total_gb: float
    used_gb: float
    available_gb: float
    percent: float


class SystemStatus(BaseModel):
    cpu: CpuStatus
    memory: MemoryStatus
    gpus: list[GpuStatus]
    device: str

    # The seed's SystemResourceStatus names.
    @computed_field
    @property
    def memory_total_gb(self) -> float:
        return self.memory.total_gb

    @computed_field
    @property
    def memory_available_gb(self) -> float:
        return self.memory.available_gb

    @computed_field
    @property
    def memory_used_gb(self) -> float:
        return self.memory.used_gb

    @computed_field
    @property
    def memory_percent(self) -> float:
        return self.memory.percent

    @computed_field
    @property
    def gpu_utilization(self) -> float | None:
        return self.gpus[0].utilization_percent if self.gpus else None

    @computed_field
    @property
    def cpu_percent(self) -> float:
        return self.cpu.percent

    @computed_field
    @property
    def cpu_name(self) -> str:
        return self.cpu.name

    @computed_field
    @property
    def cpu_cores(self) -> int | None:
        return self.cpu.physical_cores or self.cpu.cores

    @computed_field
    @property
    def cpu_threads(self) -> int | None:
        return self.cpu.cores

    @computed_field
    @property
    def is_available(self) -> bool:
        return True

    @computed_field
    @property
    def rejection_reason(self) -> str | None:
        return None


class SystemInfo(BaseModel):
    """This machine and the software the studio runs on (the seed's SystemInfo fields, plus versions)."""

    # system() caches one answer for the process: nobody may change it.
    model_config = ConfigDict(frozen=True)

    app_name: str = "HollyWool"
    version: str
    hostname: str | None
    os_name: str
    platform: str = Field(description="linux, mac or windows")
    device_type: str = Field(description="Spark (a DGX Spark), Mac or PC")
    compute_mode: str = Field(description="GPU or CPU")
    cuda_available: bool
    torch_cuda_enabled: bool
    gpu_name: str | None
    gpu_memory_gb: float | None
    gpu_warning: str | None
    python_version: str
    torch_version: str | None
    diffusers_version: str | None
    machine: str
    os: str = Field(description="system and release")
    python: str
    torch: str | None
    diffusers: str | None
    cuda: str | None
    gpu: str | None
