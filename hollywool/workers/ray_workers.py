"""GPU workers as Ray actors on an existing cluster (HOLLYWOOL_RAY_ADDRESS): one per GPU, wherever Ray places it.

The actor wraps the same GpuWorker as a local process and speaks the same messages: a job's messages come
back as a streaming generator, answers and stops go in as actor calls (the actor runs a few calls at
once). Outputs travel through Ray (images, file bytes); a worker node reads models and reference images
from the paths the studio's settings name, so the data and model folders are shared between the nodes.
An actor whose node leaves (or whose process dies) ends its stream: the job is re-queued and a new actor
is placed on a node that still offers the resource.

Ray is imported only here, and this module only when HOLLYWOOL_RAY_ADDRESS is set.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any, cast

from hollywool.jobs.executor import WorkerLost
from hollywool.settings import Settings
from hollywool.storage.preferences import Preferences
from hollywool.workers.pool import WorkerLink
from hollywool.workers.protocol import Answer, JobDone, Quit, Ready, RunJob, StopJob, ToStudio, ToWorker, WorkerState
from hollywool.workers.worker import PendingCalls

READY_TIMEOUT_S = 300.0
PING_TIMEOUT_S = 5.0


class _QueueChannel:
    """The actor's channel: messages go into the stream of the job's `run` call."""

    def __init__(self, out: queue.Queue[ToStudio], pending: PendingCalls):
        self._out = out
        self._pending = pending

    def send(self, message: ToStudio) -> None:
        self._out.put(message)

    def call(self, make: Callable[[int], ToStudio]) -> Any:
        call_id, answered, box = self._pending.open()
        self._out.put(make(call_id))
        answered.wait()
        return PendingCalls.value(box[0])


class RayWorkerActor:
    """Made a Ray actor by `ray.remote` in `ray_links` (so that importing this module does not import Ray)."""

    def __init__(self, settings: Settings):
        import ray

        from hollywool.workers.process import pin_device
        from hollywool.workers.worker import GpuWorker

        gpus = ray.get_gpu_ids()
        if gpus:  # Ray chose the GPU and set CUDA_VISIBLE_DEVICES: "cuda" here is that one
            os.environ["HOLLYWOOL_DEVICE"] = "cuda"
            device = f"cuda:{gpus[0]}"
        else:
            device = os.environ.get("HOLLYWOOL_DEVICE") or "cpu"
            pin_device(device)
        node = ray.get_runtime_context().get_node_id()[:8]
        self.worker = GpuWorker(settings, device, host=f"{socket.gethostname()}/{node}")
        self.pending = PendingCalls()

    def ready(self) -> WorkerState:
        return self.worker.state()

    def configure(self, preferences: Preferences) -> WorkerState:
        return self.worker.configure(preferences)

    def run(self, job: RunJob) -> Iterator[ToStudio]:
        out: queue.Queue[ToStudio] = queue.Queue()
        channel = _QueueChannel(out, self.pending)
        threading.Thread(target=lambda: out.put(self.worker.run(job, channel)), daemon=True).start()
        while True:
            message = out.get()
            yield message
            if isinstance(message, JobDone):
                return

    def answer(self, answer: Answer) -> None:
        self.pending.resolve(answer)

    def ping(self) -> bool:
        return True

    def stop(self, job_id: str, shutdown: bool) -> None:
        self.worker.stop(job_id, shutdown)


class RayLink:
    """The studio's end of one Ray actor (WorkerLink)."""

    def __init__(self, actor_class: Any, settings: Settings, resource: str):
        self._actor_class = actor_class
        self._settings = settings
        self._resource = resource
        self._actor: Any = None
        self._stream: Any = None

    def start(self) -> Ready:
        import ray

        placement: dict[str, Any] = (
            {"num_gpus": 1} if self._resource == "GPU" else {"num_cpus": 0, "resources": {self._resource: 1}}
        )
        actor = self._actor_class.options(max_concurrency=4, **placement).remote(self._settings)
        self._actor = actor
        try:
            return Ready(ray.get(actor.ready.remote(), timeout=READY_TIMEOUT_S))
        except Exception as exc:
            raise WorkerLost(f"a Ray worker did not start ({exc})") from exc

    def configure(self, preferences: Preferences) -> WorkerState:
        import ray

        actor = self._actor
        if actor is None:
            raise WorkerLost("the Ray worker is not running")
        try:
            return ray.get(actor.configure.remote(preferences), timeout=READY_TIMEOUT_S)
        except Exception as exc:
            raise WorkerLost(f"the Ray worker did not take the settings ({type(exc).__name__})") from exc

    def send(self, message: ToWorker) -> None:
        actor = self._actor
        if actor is None:
            raise WorkerLost("the Ray worker is not running")
        if isinstance(message, RunJob):
            self._stream = actor.run.options(num_returns="streaming").remote(message)
        elif isinstance(message, StopJob):
            actor.stop.remote(message.job_id, message.shutdown)
        elif isinstance(message, Answer):
            actor.answer.remote(message)
        elif isinstance(message, Quit):
            self.stop()

    def receive(self) -> ToStudio:
        import ray

        if self._stream is None:
            raise WorkerLost("the Ray worker runs no job")
        try:
            message = cast(ToStudio, ray.get(next(self._stream)))
            return message
        except StopIteration:
            raise WorkerLost("the Ray worker ended the job's stream early") from None
        except Exception as exc:  # ActorDiedError, a node that left (RayError subclasses)
            raise WorkerLost(f"the Ray worker went away ({type(exc).__name__})") from exc

    def alive(self) -> bool:
        """Whether the actor answers: one that died while idle (its process killed, its node gone) is
        restarted before a job is sent to it. A slow answer is not a death: that shows when a job runs."""
        import ray
        from ray.exceptions import GetTimeoutError

        actor = self._actor
        if actor is None:
            return False
        try:
            return ray.get(actor.ping.remote(), timeout=PING_TIMEOUT_S)
        except GetTimeoutError:
            return True
        except Exception:  # ActorDiedError, ActorUnavailableError, a node that left
            return False

    def stop(self, timeout: float = 10.0) -> None:
        import ray

        actor, self._actor, self._stream = self._actor, None, None
        if actor is not None:
            with contextlib.suppress(Exception):  # already gone with its node
                ray.kill(actor)


def ray_links(settings: Settings) -> list[tuple[str, str, WorkerLink]]:
    """Connect to the cluster and make one worker per unit of the GPU resource it offers."""
    import ray

    if not ray.is_initialized():
        ray.init(address=settings.ray_address, log_to_driver=False, configure_logging=False)
    resource = settings.ray_resource  # "GPU": Ray sets each actor's CUDA_VISIBLE_DEVICES
    count = int(ray.cluster_resources().get(resource, 0))
    if count < 1:
        raise RuntimeError(f"the Ray cluster at {settings.ray_address} offers no {resource!r} resource")
    actor_class = ray.remote(RayWorkerActor)
    return [(f"r{i}", f"ray:{resource}", RayLink(actor_class, settings, resource)) for i in range(count)]
