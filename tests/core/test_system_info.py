"""NVML readings become typed GPU readings; a unified-memory GPU reports the system RAM."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from hollywool import system_info
from hollywool.models.memory import GB, free_bytes_now


class _NVMLError(Exception):
    pass


def _fake_pynvml(unified_second: bool) -> SimpleNamespace:
    """Two GPUs: a discrete one with every reading, and one whose readings fail (unified memory)."""

    def fails(*_: object) -> None:
        raise _NVMLError

    def memory(h: int) -> SimpleNamespace:
        if h == 1 and unified_second:
            fails()
        return SimpleNamespace(total=24 * GB, used=(3 if h == 0 else 20) * GB)

    return SimpleNamespace(
        NVMLError=_NVMLError,
        NVML_TEMPERATURE_GPU=0,
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: None,
        nvmlDeviceGetCount=lambda: 2,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetName=lambda h: b"RTX" if h == 0 else "GB10",
        nvmlDeviceGetMemoryInfo=memory,
        nvmlDeviceGetUtilizationRates=lambda h: SimpleNamespace(gpu=37) if h == 0 else fails(),
        nvmlDeviceGetTemperature=lambda h, _: 55 if h == 0 else fails(),
    )


@pytest.fixture
def ram(monkeypatch):
    vm = SimpleNamespace(total=128 * GB, used=10 * GB, available=100 * GB, percent=7.8)
    monkeypatch.setattr(system_info.psutil, "virtual_memory", lambda: vm)
    return vm


def test_gpu_readings_and_the_status_answer(monkeypatch, ram):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml(unified_second=True))
    first, second = system_info.nvml_gpus()
    assert (first.name, first.memory_total_gb, first.memory_used_gb, first.unified_memory) == ("RTX", 24, 3, False)
    assert (first.utilization_percent, first.temperature_c) == (37, 55)
    assert (second.name, second.memory_total_gb, second.memory_used_gb) == ("GB10", 128, 10)  # the RAM's
    assert second.unified_memory and second.utilization_percent is None and second.temperature_c is None

    status = system_info.status().model_dump(mode="json")
    assert status["device"] == "cuda" and status["gpu_utilization"] == 37
    assert status["gpus"][1] == {
        "index": 1, "name": "GB10", "memory_total_gb": 128, "memory_used_gb": 10,
        "unified_memory": True, "utilization_percent": None, "temperature_c": None,
    }  # fmt: skip
    assert status["memory_total_gb"] == status["memory"]["total_gb"] == 128


def test_free_memory_reads_the_first_gpu_or_the_ram(monkeypatch, ram):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml(unified_second=False))
    assert free_bytes_now() == 21 * GB
    monkeypatch.setitem(sys.modules, "pynvml", None)  # no NVML: the RAM answers
    assert free_bytes_now() == ram.available
