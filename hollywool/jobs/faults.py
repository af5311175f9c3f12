"""Telling a storage fault (database locked, disk full, I/O error) from a bug, and saying it plainly.

A storage fault is usually temporary and outside the studio (a full data disk, a locked file):
the job system waits and tries again. A bug is not retried.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import SQLAlchemyError


def is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, (sqlite3.Error, SQLAlchemyError, OSError))


def storage_problem(exc: BaseException) -> str:
    """What went wrong, as a clause: 'the database could not be written (database or disk is full; ...)'."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    detail = str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else exc.__class__.__name__
    hint = "; is the data disk full?" if "full" in detail.lower() or "no space" in detail.lower() else ""
    return f"the database could not be written ({detail}{hint})"
