"""Why a job failed, as a person reads it: a sentence with a next step, and the raw text for the job's detail.

Known failures (offline hub, gated or missing model, missing weights, out of memory, an unreachable
service, an unreadable image, weights that do not fit the architecture) are recognised by the exception
classes and messages of torch, huggingface_hub, diffusers, httpx and PIL along the exception's chain
(diffusers wraps hub errors in OSError); anything else gets a plain sentence, never a class name. The
libraries are not imported: matching class names keeps this module free of them.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass

from hollywool.errors import StudioError
from hollywool.jobs.faults import is_storage_error, storage_problem


@dataclass(frozen=True)
class Failure:
    message: str  # what the user sees: what happened and what to do
    detail: str | None  # the raw text, for the job's detail page


@dataclass(frozen=True)
class _Rule:
    classes: frozenset[str]
    phrases: tuple[str, ...]
    message: str


OUT_OF_MEMORY = (
    "The device ran out of memory. Try a smaller size, fewer images or frames, or a lighter model; "
    "the studio can also offload the model to system memory (Settings)."
)

_RULES = (
    _Rule(frozenset({"OutOfMemoryError"}), ("out of memory",), OUT_OF_MEMORY),
    _Rule(
        frozenset({"GatedRepoError"}),
        ("gated repo", "access to model", "is restricted"),
        "This model is gated on Hugging Face: accept its licence on the model's page and add a Hugging Face "
        "token in Settings, then retry.",
    ),
    _Rule(
        frozenset({"OfflineModeIsEnabled", "LocalEntryNotFoundError"}),
        (
            "couldn't connect to 'https://huggingface.co'",
            "hf_hub_offline",
            "offline mode",
            "cannot find the requested files",
        ),
        "The model's files are not on this machine and the Hugging Face hub cannot be reached. Download it "
        "while online (Models page), or add the files you already have (Models, Add a model).",
    ),
    _Rule(
        frozenset({"RepositoryNotFoundError", "RevisionNotFoundError"}),
        ("repository not found",),
        "Hugging Face has no repository by this model's id. Check the id in its catalogue entry (Models page).",
    ),
    _Rule(
        frozenset({"EntryNotFoundError"}),
        ("no file named", "does not appear to have a file named", "missing weights"),
        "Some of the model's weight files are missing. Download the model again from the Models page, or "
        "check the files named in its catalogue entry.",
    ),
    _Rule(
        frozenset({"UnidentifiedImageError", "DecompressionBombError"}),
        ("cannot identify image file",),
        "The image could not be read: it is not a PNG, JPEG or WebP image, or it is damaged. Choose another image.",
    ),
    _Rule(
        frozenset({"ConnectError", "ConnectTimeout", "ConnectionRefusedError", "gaierror"}),
        ("connection refused", "name or service not known", "[errno -2]", "[errno -3]", "failed to establish"),
        "A service this job needs could not be reached. Check that it is running and that its URL in Settings "
        "is right, then retry.",
    ),
    _Rule(
        frozenset(),
        ("low_cpu_mem_usage", "size mismatch for", "unexpected key(s) in state_dict", "missing key(s) in state_dict"),
        "The model's weights do not match its architecture: the file may be another model family or damaged. "
        "Check the model's type on the Models page, or download it again.",
    ),
)

UNKNOWN = "The job failed unexpectedly. Retry it; if it fails again, its job page has the details to report."


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def raw_text(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def explain(exc: BaseException) -> Failure:
    """The failure of a job that raised `exc`."""
    if isinstance(exc, StudioError):  # the studio's own errors are written for the user already
        return Failure(exc.message, exc.detail if isinstance(exc.detail, str) else None)
    detail = "\n".join(raw_text(e) for e in _chain(exc))
    for link in reversed(list(_chain(exc))):  # the root cause says most (a hub error inside an OSError)
        names = {cls.__name__ for cls in type(link).__mro__}
        text = str(link).lower()
        for rule in _RULES:
            if names & rule.classes or any(p in text for p in rule.phrases):
                return Failure(rule.message, detail)
    if _is_disk_fault(exc):
        return Failure(
            f"The studio could not save this job's work: {storage_problem(exc)}. Free space, then retry.", detail
        )
    return Failure(UNKNOWN, detail)


def _is_disk_fault(exc: BaseException) -> bool:
    """The database or the data disk failed (not any OSError: a refused connection is one too)."""
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        return exc.errno in (errno.ENOSPC, errno.EIO, errno.EROFS, errno.EDQUOT)
    return is_storage_error(exc)
