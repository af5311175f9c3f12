"""A GPU worker as a local process: spawned pinned to one device, talking to the studio over a pipe.

The child sees only its device (CUDA_VISIBLE_DEVICES), so everything in it says "cuda" and means that
GPU. It ends when the studio says Quit or when the pipe closes (the studio went away): it never
outlives the studio.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from hollywool.jobs.executor import WorkerLost
from hollywool.settings import Settings
from hollywool.storage.preferences import Preferences
from hollywool.workers.protocol import Answer, Configure, Quit, Ready, RunJob, StopJob, ToStudio, ToWorker, WorkerState
from hollywool.workers.worker import PendingCalls


def pin_device(device: str) -> None:
    """Before torch is imported: make `device` the only one this process sees."""
    if device.startswith("cuda"):
        os.environ["CUDA_VISIBLE_DEVICES"] = device.partition(":")[2] or "0"
        os.environ["HOLLYWOOL_DEVICE"] = "cuda"
    else:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        os.environ["HOLLYWOOL_DEVICE"] = device


class PipeChannel:
    """The worker's end of the pipe: sends from any thread, answers matched by the reading loop."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self._lock = threading.Lock()
        self.pending = PendingCalls()

    def send(self, message: ToStudio) -> None:
        with self._lock:
            self._conn.send(message)

    def call(self, make: Callable[[int], ToStudio]) -> Any:
        call_id, answered, box = self.pending.open()
        self.send(make(call_id))
        answered.wait()
        return PendingCalls.value(box[0])


def serve(conn: Connection, settings: Settings, device: str) -> None:
    """The worker process's main function: read messages until Quit; each job runs on its own thread."""
    pin_device(device)
    from hollywool.workers.worker import GpuWorker

    worker = GpuWorker(settings, device)
    channel = PipeChannel(conn)
    channel.send(Ready(worker.state()))

    def run(message: RunJob) -> None:
        channel.send(worker.run(message, channel))

    while True:
        try:
            message: ToWorker = conn.recv()
        except (EOFError, OSError):  # the studio is gone
            break
        if isinstance(message, RunJob):
            threading.Thread(target=run, args=(message,), name=f"job-{message.job.id}", daemon=True).start()
        elif isinstance(message, Configure):
            channel.send(Ready(worker.configure(message.preferences)))
        elif isinstance(message, StopJob):
            worker.stop(message.job_id, message.shutdown)
        elif isinstance(message, Answer):
            channel.pending.resolve(message)
        elif isinstance(message, Quit):
            break
    worker.models.close()


class LocalProcess:
    """The studio's end: one worker process, restartable. Only the thread serving a job reads its pipe."""

    def __init__(self, settings: Settings, device: str):
        self.settings = settings
        self.device = device
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._process: BaseProcess | None = None

    def start(self) -> Ready:
        """Spawn the process and wait until it is ready (its imports done, its device measured)."""
        spawn = multiprocessing.get_context("spawn")
        ours, theirs = spawn.Pipe()
        process = spawn.Process(
            target=serve, args=(theirs, self.settings, self.device), name=f"hollywool-{self.device}", daemon=True
        )
        process.start()
        theirs.close()
        with self._lock:
            self._conn, self._process = ours, process
        first = self.receive()
        if not isinstance(first, Ready):
            raise WorkerLost(f"the worker on {self.device} sent {type(first).__name__} before it was ready")
        return first

    def configure(self, preferences: Preferences) -> WorkerState:
        """Send the preferences and wait for its state under them (only while it runs no job)."""
        self.send(Configure(preferences))
        answer = self.receive()
        if not isinstance(answer, Ready):
            raise WorkerLost(f"the worker on {self.device} sent {type(answer).__name__} instead of its state")
        return answer.state

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def alive(self) -> bool:
        # Its sentinel, not is_alive(): that says "alive" for ever once something else reaped the child.
        process = self._process
        return process is not None and not wait([process.sentinel], timeout=0)

    def send(self, message: ToWorker) -> None:
        with self._lock:
            conn = self._conn
            if conn is None:
                raise WorkerLost(f"the worker on {self.device} is not running")
            try:
                conn.send(message)
            except (OSError, ValueError) as exc:
                raise WorkerLost(f"the worker on {self.device} stopped ({exc})") from None

    def receive(self) -> ToStudio:
        """The next message; WorkerLost when the process died (killed, crashed) before sending one."""
        conn, process = self._conn, self._process
        if conn is None or process is None:
            raise WorkerLost(f"the worker on {self.device} is not running")
        wait([conn, process.sentinel])
        try:
            if conn.poll():
                return conn.recv()
        except (EOFError, OSError):
            pass
        process.join(timeout=5)
        raise WorkerLost(f"the worker on {self.device} stopped (exit code {process.exitcode}) while running it")

    def stop(self, timeout: float = 10.0) -> None:
        process, conn = self._process, self._conn
        if process is None:
            return
        with contextlib.suppress(WorkerLost):
            self.send(Quit())
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join(5)
        if conn is not None:
            conn.close()
        with self._lock:
            self._conn = self._process = None
