"""Reading a checkpoint tensor by tensor, cast as it is read (models/state_dict.py)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from hollywool.models import state_dict
from hollywool.models.state_dict import read_state_dict


def test_reads_every_tensor_and_casts_only_floating_point_ones(tmp_path, monkeypatch):
    torch.manual_seed(0)
    tensors = {
        "big": torch.randn(3, 1000, dtype=torch.float16),  # spans several chunks below
        "bf16": torch.randn(7, dtype=torch.bfloat16),
        "scalar": torch.tensor(2.5, dtype=torch.float16),
        "empty": torch.zeros(0, 4, dtype=torch.float16),
        "ids": torch.arange(10, dtype=torch.int64),
        "fp8": torch.randn(16).to(torch.float8_e4m3fn),
    }
    path = tmp_path / "model.safetensors"
    save_file(tensors, str(path), metadata={"format": "pt"})
    monkeypatch.setattr(state_dict, "_CHUNK", 1024)  # force the chunked cast and short reads

    as_stored = read_state_dict(path)
    reference = load_file(str(path))
    assert as_stored.keys() == reference.keys()
    for name, tensor in reference.items():
        assert as_stored[name].dtype == tensor.dtype and torch.equal(as_stored[name], tensor), name

    widened = read_state_dict(path, torch.float32)
    assert widened["ids"].dtype == torch.int64 and torch.equal(widened["ids"], tensors["ids"])
    for name in ("big", "bf16", "scalar", "empty", "fp8"):
        assert widened[name].dtype == torch.float32 and widened[name].shape == tensors[name].shape
        assert torch.equal(widened[name], tensors[name].float()), name


def test_a_truncated_file_is_an_error(tmp_path):
    path = tmp_path / "model.safetensors"
    save_file({"w": torch.ones(1000)}, str(path))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="ends before"):
        read_state_dict(path)
