"""CPU, memory and GPU readings (NVML when present), without importing torch unless asked."""

from __future__ import annotations

import platform
import socket
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import psutil


def nvml_gpus() -> list[dict[str, Any]]:
    """Each GPU NVML sees (memory in GB, use, temperature); [] without a driver or GPU."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # no driver, no GPU: CPU-only status
        return []
    gpus = []
    try:
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(h)
            gpu: dict[str, Any] = {"index": i, "name": name.decode() if isinstance(name, bytes) else name}
            try:
                mem = pynvml.nvmlDeviceGetMemoryInfo(h)
                gpu.update(memory_total_gb=mem.total / 2**30, memory_used_gb=mem.used / 2**30)
            except pynvml.NVMLError:  # unified-memory parts (DGX Spark) report no framebuffer
                vm = psutil.virtual_memory()
                gpu.update(memory_total_gb=vm.total / 2**30, memory_used_gb=vm.used / 2**30, unified_memory=True)
            try:
                gpu["utilization_percent"] = pynvml.nvmlDeviceGetUtilizationRates(h).gpu
            except pynvml.NVMLError:
                gpu["utilization_percent"] = None
            try:
                gpu["temperature_c"] = pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU)
            except pynvml.NVMLError:
                gpu["temperature_c"] = None
            gpus.append(gpu)
    finally:
        pynvml.nvmlShutdown()
    return gpus


def status() -> dict[str, Any]:
    vm = psutil.virtual_memory()
    gpus = nvml_gpus()
    return {
        "cpu": {
            "percent": psutil.cpu_percent(interval=None),
            "cores": psutil.cpu_count(logical=True),
            "physical_cores": psutil.cpu_count(logical=False),
            "name": platform.processor() or platform.machine(),
        },
        "memory": {
            "total_gb": round(vm.total / 2**30, 2),
            "used_gb": round(vm.used / 2**30, 2),
            "available_gb": round(vm.available / 2**30, 2),
            "percent": vm.percent,
        },
        "gpus": gpus,
        "device": "cuda" if gpus else "cpu",
    }


def is_dgx_spark() -> bool:
    try:
        return "DGX Spark" in Path("/etc/dgx-release").read_text(errors="replace")
    except OSError:
        return False


def dgx_hostname() -> str | None:
    """The seed's health answer: "spark.local" on a DGX Spark, else null."""
    return "spark.local" if is_dgx_spark() else None


@lru_cache(maxsize=1)
def system() -> dict[str, Any]:
    from hollywool import __version__

    os_kind = {"Darwin": "mac", "Windows": "windows"}.get(platform.system(), "linux")
    info: dict[str, Any] = {
        "version": __version__,
        "hostname": socket.gethostname(),
        "os": f"{platform.system()} {platform.release()}",
        "os_name": platform.system(),
        "platform": os_kind,
        "device_type": "Spark" if is_dgx_spark() else ("Mac" if os_kind == "mac" else "PC"),
        "python": sys.version.split()[0],
        "python_version": sys.version.split()[0],
        "machine": platform.machine(),
        "torch": None,
        "cuda": None,
        "cuda_available": False,
        "gpu": None,
        "gpu_memory_gb": None,
        "gpu_warning": None,
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["cuda_available"] = torch.cuda.is_available()
        info["cuda"] = torch.version.cuda
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
            info["gpu_memory_gb"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
    except Exception as exc:  # torch missing or broken: still answer
        info["gpu_warning"] = f"PyTorch could not be loaded ({exc}); the studio runs on the CPU."
    if not info["cuda_available"] and info["gpu_warning"] is None:
        info["gpu_warning"] = "No CUDA GPU found: generation runs on the CPU and is slow."
    try:
        import diffusers

        info["diffusers"] = diffusers.__version__
    except Exception:
        info["diffusers"] = None
    info.update(
        torch_version=info["torch"],
        diffusers_version=info["diffusers"],
        torch_cuda_enabled=info["cuda"] is not None,
        gpu_name=info["gpu"],
        compute_mode="GPU" if info["cuda_available"] else "CPU",
    )
    return info
