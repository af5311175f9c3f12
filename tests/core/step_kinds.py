"""Job kinds registered by tests on a real studio's KindRegistry (no engine, no model)."""

from __future__ import annotations

import threading
import time

from pydantic import BaseModel

from hollywool.jobs.kinds import JobKind


class StepParams(BaseModel):
    steps: int = 10
    step_s: float = 0.001
    tag: str = ""


class StepKind:
    """A job of `steps` steps of `step_s` seconds that checks its cancel flag at each step boundary,
    as the diffusers step callback does, and records what it saw."""

    def __init__(self, name: str = "test.steps", lane: str = "gpu"):
        self.name = name
        self.lane = lane
        self.steps_run: dict[str, int] = {}  # job id -> steps finished
        self.cancel_seen_at: dict[str, int] = {}  # job id -> steps finished when the flag was seen
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()

    def register(self, studio) -> StepKind:  # noqa: ANN001
        studio.kinds.register(JobKind(self.name, StepParams, self.run, lane=lambda _p: self.lane))
        return self

    def run(self, ctx, params: StepParams) -> dict:  # noqa: ANN001
        with self._lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            for step in range(params.steps):
                if ctx.cancelled:
                    self.cancel_seen_at[ctx.job_id] = step
                ctx.raise_if_cancelled()
                time.sleep(params.step_s)
                self.steps_run[ctx.job_id] = step + 1
                ctx.progress(step + 1, params.steps)
            return {"steps": params.steps}
        finally:
            with self._lock:
                self.running -= 1
