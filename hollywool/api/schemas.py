"""Response shapes shared by several routers, and the bounded integer types every request uses.

Every integer a request carries has both bounds, so an out-of-range value is a 422 naming the field
and never reaches SQLite (whose INTEGER is 64-bit signed: a larger value would raise in the driver).
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, computed_field

T = TypeVar("T")

MAX_DB_INT = 2**63 - 1  # SQLite INTEGER
MAX_OFFSET = 10**9  # far beyond any list the studio holds
MAX_PAGE = 10**7

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]
Limit = Annotated[int, Query(ge=1, le=500, description="items to answer")]
DbId = Annotated[int, Path(ge=0, le=MAX_DB_INT, description="a row id")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class JobAccepted(BaseModel):
    job_id: str
    status: str
    message: str
    eta_seconds: float | None = None


class Deleted(BaseModel):
    deleted: bool = True
    id: str

    @computed_field(description='the seed\'s answer: "deleted"')
    @property
    def status(self) -> str:
        return "deleted"
