"""CPU, memory and GPU readings (NVML when present), without importing torch unless asked."""

from __future__ import annotations

import platform
import socket
import sys
from functools import lru_cache
from pathlib import Path

import psutil

from hollywool.system_views import CpuStatus, GpuStatus, MemoryStatus, SystemInfo, SystemStatus


def nvml_gpus() -> list[GpuStatus]:
    """Each GPU NVML sees (memory in GB, use, temperature); [] without a driver or GPU."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # no driver, no GPU: CPU-only status
        return []
    gpus: list[GpuStatus] = []
    try:
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(h)
            unified = False
            try:
                mem = pynvml.nvmlDeviceGetMemoryInfo(h)
                total, used = mem.total, mem.used
            except pynvml.NVMLError:  # unified-memory parts (DGX Spark) report no framebuffer
                vm = psutil.virtual_memory()
                total, used, unified = vm.total, vm.used, True
            try:
                utilization: float | None = float(pynvml.nvmlDeviceGetUtilizationRates(h).gpu)
            except pynvml.NVMLError:
                utilization = None
            try:
                temperature: float | None = float(pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU))
            except pynvml.NVMLError:
                temperature = None
            gpus.append(
                GpuStatus(
                    index=i,
                    name=name.decode() if isinstance(name, bytes) else name,
                    memory_total_gb=total / 2**30,
                    memory_used_gb=used / 2**30,
                    unified_memory=unified,
                    utilization_percent=utilization,
                    temperature_c=temperature,
                )
            )
    finally:
        pynvml.nvmlShutdown()
    return gpus


def status() -> SystemStatus:
    vm = psutil.virtual_memory()
    gpus = nvml_gpus()
    return SystemStatus(
        cpu=CpuStatus(
            percent=psutil.cpu_percent(interval=None),
            cores=psutil.cpu_count(logical=True),
            physical_cores=psutil.cpu_count(logical=False),
            name=platform.processor() or platform.machine(),
        ),
        memory=MemoryStatus(
            total_gb=round(vm.total / 2**30, 2),
            used_gb=round(vm.used / 2**30, 2),
            available_gb=round(vm.available / 2**30, 2),
            percent=vm.percent,
        ),
        gpus=gpus,
        device="cuda" if gpus else "cpu",
    )


def is_dgx_spark() -> bool:
    try:
        return "DGX Spark" in Path("/etc/dgx-release").read_text(errors="replace")
    except OSError:
        return False


def dgx_hostname() -> str | None:
    """The seed's health answer: "spark.local" on a DGX Spark, else null."""
    return "spark.local" if is_dgx_spark() else None


@lru_cache(maxsize=1)
def system() -> SystemInfo:
    from hollywool import __version__

    os_kind = {"Darwin": "mac", "Windows": "windows"}.get(platform.system(), "linux")
    torch_version: str | None = None
    cuda: str | None = None
    cuda_available = False
    gpu: str | None = None
    gpu_memory_gb: float | None = None
    gpu_warning: str | None = None
    try:
        import torch

        torch_version = torch.__version__
        cuda_available = torch.cuda.is_available()
        cuda = torch.version.cuda
        if cuda_available:
            gpu = torch.cuda.get_device_name(0)
            gpu_memory_gb = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
    except Exception as exc:  # torch missing or broken: still answer
        gpu_warning = f"PyTorch could not be loaded ({exc}); the studio runs on the CPU."
    if not cuda_available and gpu_warning is None:
        gpu_warning = "No CUDA GPU found: generation runs on the CPU and is slow."
    try:
        import diffusers

        diffusers_version: str | None = diffusers.__version__
    except Exception:
        diffusers_version = None
    python = sys.version.split()[0]
    return SystemInfo(
        version=__version__,
        hostname=socket.gethostname(),
        os=f"{platform.system()} {platform.release()}",
        os_name=platform.system(),
        platform=os_kind,
        device_type="Spark" if is_dgx_spark() else ("Mac" if os_kind == "mac" else "PC"),
        compute_mode="GPU" if cuda_available else "CPU",
        python=python,
        python_version=python,
        machine=platform.machine(),
        torch=torch_version,
        torch_version=torch_version,
        cuda=cuda,
        cuda_available=cuda_available,
        torch_cuda_enabled=cuda is not None,
        gpu=gpu,
        gpu_name=gpu,
        gpu_memory_gb=gpu_memory_gb,
        gpu_warning=gpu_warning,
        diffusers=diffusers_version,
        diffusers_version=diffusers_version,
    )
