"""Which device and dtype local generation runs on."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class DevicePlan:
    device: str
    dtype_name: str

    @property
    def dtype(self):  # noqa: ANN201 - torch.dtype, imported lazily
        import torch

        return getattr(torch, self.dtype_name)


def pick_device() -> DevicePlan:
    import torch

    forced = os.environ.get("HOLLYWOOL_DEVICE")
    if forced:
        return DevicePlan(forced, "bfloat16" if forced.startswith("cuda") else "float32")
    if torch.cuda.is_available():
        return DevicePlan("cuda", "bfloat16")
    return DevicePlan("cpu", "float32")


def expected_device() -> DevicePlan:
    """The plan `pick_device` will make, guessed without importing torch: a GPU is one NVML sees."""
    forced = os.environ.get("HOLLYWOOL_DEVICE")
    if forced:
        return DevicePlan(forced, "bfloat16" if forced.startswith("cuda") else "float32")
    from hollywool.system_info import nvml_gpus

    return DevicePlan("cuda", "bfloat16") if nvml_gpus() else DevicePlan("cpu", "float32")
