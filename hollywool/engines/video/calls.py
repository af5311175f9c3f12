"""Driving pipelines whose call differs from the common shape (HunyuanVideo 1.5 in diffusers 0.42).

Those pipelines take no `callback_on_step_end` and no `guidance_scale`. Their loop still calls
`scheduler.step` once per denoising step and gets the new latents back, so for the length of one call
the engine wraps that method on the pipeline's scheduler: the same step callback (progress, previews,
cancel by raising) then fires after each step. Guidance lives in their `guider` component, which is
swapped for a copy with the job's scale and put back afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator
from typing import Any

StepCallback = Callable[[Any, int, Any, dict[str, Any]], dict[str, Any]]  # (pipe, step, timestep, tensors)


@contextlib.contextmanager
def scheduler_steps(pipe: Any, on_step: StepCallback) -> Generator[None, None, None]:
    """Call `on_step` after every `pipe.scheduler.step`, with the latents it returned."""
    scheduler = pipe.scheduler
    own: Any = scheduler.__dict__.get("step")  # an instance attribute to restore, if something else set one
    step = scheduler.step
    count = 0

    def watched(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        out: Any = step(*args, **kwargs)  # SchedulerOutput, or a tuple with return_dict=False
        latents: Any = out.prev_sample if hasattr(out, "prev_sample") else out[0]
        timestep = args[1] if len(args) > 1 else kwargs.get("timestep")
        on_step(pipe, count, timestep, {"latents": latents})
        count += 1
        return out

    scheduler.step = watched
    try:
        yield
    finally:
        if own is None:
            del scheduler.step  # the class's method again
        else:
            scheduler.step = own


@contextlib.contextmanager
def guider_scale(pipe: Any, scale: float | None) -> Generator[None, None, None]:
    """Run with the pipeline's guider set to `scale` (None: the model's own), then restore it."""
    guider = pipe.guider
    if scale is not None:
        pipe.guider = guider.new(guidance_scale=scale)
    try:
        yield
    finally:
        pipe.guider = guider
