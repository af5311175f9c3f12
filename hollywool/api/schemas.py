"""Response shapes shared by several routers."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class JobAccepted(BaseModel):
    job_id: str
    status: str
    message: str


class Deleted(BaseModel):
    deleted: bool = True
    id: str
