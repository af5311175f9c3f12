"""CPU, memory and GPU readings (NVML when present), without importing torch unless asked."""

from __future__ import annotations

import platform
import sys
from functools import lru_cache
from typing import Any

import psutil


def _nvml_gpus() -> list[dict[str, Any]]:
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
    gpus = _nvml_gpus()
    return {
        "cpu": {
            "percent": psutil.cpu_percent(interval=None),
            "cores": psutil.cpu_count(logical=True),
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


@lru_cache(maxsize=1)
def system() -> dict[str, Any]:
    info: dict[str, Any] = {
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["cuda_available"] = torch.cuda.is_available()
        info["cuda"] = torch.version.cuda
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception as exc:  # torch missing or broken: still answer
        info["torch"] = None
        info["torch_error"] = str(exc)
    try:
        import diffusers

        info["diffusers"] = diffusers.__version__
    except Exception:
        info["diffusers"] = None
    return info
