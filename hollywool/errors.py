"""Errors the services raise; the API maps each to one HTTP status. No FastAPI import here."""

from __future__ import annotations


class StudioError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, detail: object | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail


class NotFoundError(StudioError):
    status_code = 404


class ConflictError(StudioError):
    status_code = 409


class InvalidInputError(StudioError):
    """Bad input that the request model could not catch; `field` names the offending field."""

    status_code = 422


class UnavailableError(StudioError):
    """A service the request needs is down or unreachable."""

    status_code = 503
