"""Import the heavy libraries (torch, diffusers, the image pipelines) in the background after start-up.

The server answers before torch is imported (start-up stays under 2 s); without this the first local
job would pay for those imports (about 10 s on a small machine). One daemon thread does them right
after start-up: it never blocks start-up or shutdown, and a failed import is logged and skipped.
Set HOLLYWOOL_WARMUP=0 to turn it off.

A job that needs torch while the warm-up is still importing waits for it (`wait`) instead of
importing the same modules from a second thread at the same time.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time

log = logging.getLogger("hollywool.warmup")

# (module, attribute to touch or None). Touching a pipeline class on diffusers' lazy module imports it
# and the transformers text encoders it uses; image-to-image (AutoPipeline) stays lazy, as it costs
# memory that a text-to-image studio never needs.
BASE_TARGETS: tuple[tuple[str, str | None], ...] = (
    ("torch", None),
    ("diffusers", "DiffusionPipeline"),
    ("diffusers.utils.logging", None),
    ("transformers.utils.logging", None),
    ("safetensors.torch", None),
)


def image_targets() -> list[tuple[str, str | None]]:
    """The base imports plus each image family's pipeline class."""
    from hollywool.models.families import image_families

    return [*BASE_TARGETS, *(("diffusers", f.pipeline) for f in image_families().values())]


class Warmup:
    def __init__(self, targets: list[tuple[str, str | None]]):
        self.targets = targets
        self.done = threading.Event()  # set when every import was tried (or the warm-up was skipped)
        self._tried = threading.Condition()
        self.imported: list[str] = []
        self.failed: list[str] = []
        self.seconds = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> Warmup:
        self._thread = threading.Thread(target=self._run, name="hollywool-warmup", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        started = time.monotonic()
        try:
            for module, attr in self.targets:
                name = f"{module}.{attr}" if attr else module
                try:
                    loaded = importlib.import_module(module)
                    if attr:
                        getattr(loaded, attr)
                    self.imported.append(name)
                except Exception as exc:  # a missing or broken library: the job will say so itself
                    self.failed.append(name)
                    log.info("warm-up: could not import %s (%s)", name, exc)
                with self._tried:
                    self._tried.notify_all()
        finally:
            self.seconds = time.monotonic() - started
            self.done.set()
            with self._tried:
                self._tried.notify_all()
            log.info("warm-up: heavy imports done in %.1f s", self.seconds)

    def wait(self, timeout: float | None = None, *, until: str | None = None) -> bool:
        """Wait for a running warm-up (never called from the warm-up thread itself); with `until`, only
        until that import was tried (e.g. "torch": the device can be read while diffusers still imports)."""
        if self._thread is None or threading.current_thread() is self._thread:
            return True
        if until is None:
            return self.done.wait(timeout)
        with self._tried:
            return self._tried.wait_for(
                lambda: self.done.is_set() or until in self.imported or until in self.failed, timeout
            )


_current: Warmup | None = None


def start(targets: list[tuple[str, str | None]] | None = None) -> Warmup | None:
    """Start the background warm-up once per process; None when turned off (HOLLYWOOL_WARMUP=0)."""
    global _current
    if os.environ.get("HOLLYWOOL_WARMUP", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    if _current is None:
        _current = Warmup(targets if targets is not None else image_targets()).start()
    return _current


def current() -> Warmup | None:
    return _current


def wait(timeout: float | None = 120.0, *, until: str | None = None) -> None:
    """Before importing torch on a job thread: let a running warm-up finish its imports first (or, with
    `until`, that one import)."""
    warmup = _current
    if warmup is not None and not warmup.done.is_set():
        warmup.wait(timeout, until=until)
