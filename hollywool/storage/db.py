"""The one SQLite database: WAL journal, foreign keys on, migrations applied at open."""

from __future__ import annotations

import json
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text

from hollywool.storage.migrations import MIGRATIONS


def now() -> float:
    return time.time()


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), default=str)


def loads(raw: str | None, default: Any = None) -> Any:
    return default if raw in (None, "") else json.loads(raw)


def open_database(path: Path) -> Engine:
    """Open (creating if needed) the database and bring its schema up to date."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=16,
        max_overflow=32,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # DB-API objects: the driver's, untyped
        # Autocommit at the driver level; SQLAlchemy issues BEGIN itself (see _begin below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the lock up front (BEGIN IMMEDIATE): a deferred transaction that reads and
        # then writes can fail at once with SQLITE_BUSY when another writer got in between.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    migrate(engine)
    return engine


def writer(engine: Engine) -> Engine:
    """The engine to use for transactions that write."""
    return engine.execution_options(sqlite_immediate=True)


def applied_migrations(engine: Engine) -> set[int]:
    with writer(engine).begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)"
        )
        return set(conn.exec_driver_sql("SELECT version FROM schema_migrations").scalars())


def schema_version(engine: Engine) -> int:
    return max(applied_migrations(engine), default=0)


def migrate(engine: Engine) -> int:
    """Apply every migration not yet recorded, in version order, each in one transaction.

    Applied versions are recorded one by one (not as a high-water mark), so a version that lands
    after a higher one, from work done in parallel, is still applied.
    """
    applied = applied_migrations(engine)
    for version, statements in sorted(MIGRATIONS):
        if version in applied:
            continue
        with writer(engine).begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
            conn.execute(
                text("INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)"), {"v": version, "t": now()}
            )
            conn.exec_driver_sql(f"PRAGMA user_version={version}")
    return schema_version(engine)


class Database:
    """The engine plus the two ways to use it: `read()` for queries, `write()` for a transaction."""

    def __init__(self, path: Path):
        self.path = path
        self.engine = open_database(path)
        self._writer = writer(self.engine)

    def read(self) -> Connection:
        return self.engine.connect()

    def write(self) -> AbstractContextManager[Connection]:
        return self._writer.begin()

    def close(self) -> None:
        self.engine.dispose()
