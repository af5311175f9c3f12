"""The registry of job kinds: a kind is a parameter model, a handler and the lane it runs on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from hollywool.errors import InvalidInputError
from hollywool.jobs.context import JobContext
from hollywool.jobs.models import JobKindInfo

GPU_LANE = "gpu"

P = TypeVar("P", bound=BaseModel)


def _gpu_lane(_params: BaseModel) -> str:
    return GPU_LANE


@dataclass(frozen=True)
class JobKind(Generic[P]):
    """`P` is the kind's parameter model: the handler, lane and check all receive it validated."""

    name: str
    params: type[P]
    # Runs in a worker thread; returns extra result fields, as a dict or a typed model (asset ids are
    # recorded by the context).
    run: Callable[[JobContext, P], dict[str, Any] | BaseModel | None]
    # The lane a job of this kind runs on, given its params ("gpu", "net:fal", ...).
    lane: Callable[[P], str] = _gpu_lane
    # Checks that need the app's state (model exists, fits in memory), run at submit time. It may
    # return the params completed (defaults resolved, uploads stored): that is what the job stores.
    check: Callable[[P], P | None] | None = None
    # Runs once at start-up, after interrupted jobs are re-queued and before any job is dispatched:
    # repairs what a crash can leave behind for this kind (e.g. a batch parent without children).
    recover: Callable[[], None] | None = None
    # How a person names this kind of work ("Image", "Civitai download"): queue titles and filters.
    label: str = ""
    # A job's title from its params, where its prompt, workflow or model does not say it (a download's file).
    title: Callable[[P], str | None] | None = None


class KindRegistry:
    def __init__(self) -> None:
        self._kinds: dict[str, JobKind[Any]] = {}

    def register(self, kind: JobKind[Any]) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"job kind {kind.name!r} registered twice")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> JobKind[Any]:
        try:
            return self._kinds[name]
        except KeyError:
            raise InvalidInputError(
                f"kind: unknown job kind {name!r}; known kinds: {', '.join(sorted(self._kinds))}", field="kind"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def infos(self) -> list[JobKindInfo]:
        return sorted((JobKindInfo(name=n, label=self.label(n)) for n in self._kinds), key=lambda k: k.label)

    def label(self, name: str) -> str:
        kind = self._kinds.get(name)
        return kind.label if kind and kind.label else name.replace(".", " ").replace("_", " ").capitalize()

    def title(self, name: str, params: dict[str, Any]) -> str:
        """What the job is, in a line: what its kind says of it, else its prompt, workflow or model, else the kind."""
        kind = self._kinds.get(name)
        if kind and kind.title:
            try:
                titled = kind.title(kind.params.model_validate(params))
            except ValueError:  # params stored by an older version
                titled = None
            if titled:
                return titled
        for key in ("prompt", "workflow_name", "model_id", "model"):
            value = params.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return self.label(name)

    def all(self) -> list[JobKind[Any]]:
        return [self._kinds[name] for name in sorted(self._kinds)]
