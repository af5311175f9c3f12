"""Fixtures for the test-kit tests (the tiny models themselves come from tests/conftest.py)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Run tiny models on one torch thread.

    Tiny runs are overhead-bound, and on a busy 2-core machine two OpenMP threads that spin-wait for each
    other made this module about 7x slower (56 s instead of 8 s for all families).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
