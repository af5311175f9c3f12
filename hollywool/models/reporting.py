"""What loading a model reports to the job waiting for it: stages, byte progress, cancellation.

A job's context (`hollywool.jobs.context.JobContext`) is one; the model manager needs nothing else of
the job system, so it does not import it.
"""

from __future__ import annotations

from typing import Protocol

from hollywool.jobs.events import Event


class LoadReport(Protocol):
    @property
    def job_id(self) -> str: ...

    def raise_if_cancelled(self) -> None: ...

    def set_stage(
        self, stage: str, message: str | None = None, *, total_steps: int = 0, fraction: float | None = None
    ) -> None: ...

    def progress(self, step: int, total: int, *, fraction: float | None = None, message: str | None = None) -> None: ...

    def publish(self, event: Event) -> None: ...
