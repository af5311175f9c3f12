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
