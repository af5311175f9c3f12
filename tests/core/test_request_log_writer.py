"""Request logs are written off the event loop: a stalled database write never holds up other requests."""

from __future__ import annotations

import sqlite3
import threading
import time


def test_a_stalled_log_write_does_not_delay_other_requests_and_the_row_is_kept(client, studio_dirs):
    client.get("/openapi.json")  # built once, before the clock starts
    # Another connection holds SQLite's write lock: every write waits (up to the busy timeout).
    blocker = sqlite3.connect(studio_dirs["data_dir"] / "hollywool.db", isolation_level=None, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        posted: list[int] = []
        # A 422 answers without touching the database; only its request-log row needs a write.
        poster = threading.Thread(target=lambda: posted.append(client.post("/api/jobs", json={}).status_code))
        poster.start()
        poster.join(10)
        assert posted == [422], "the POST waited for its log row to be written"
        t0 = time.monotonic()
        assert client.get("/openapi.json").status_code == 200
        assert time.monotonic() - t0 < 1.5, "a GET waited on the POST's log write"
    finally:
        time.sleep(0.2)
        blocker.execute("ROLLBACK")
        blocker.close()
    logs = client.get("/api/settings/logs", params={"status": "error"}).json()
    assert [(e["endpoint"], e["status_code"]) for e in logs["items"]] == [("/api/jobs", 422)]


def test_rows_recorded_just_before_shutdown_are_written(studio_dirs):
    from fastapi.testclient import TestClient

    from hollywool.app import create_app
    from hollywool.settings import Settings
    from hollywool.storage.db import Database
    from hollywool.storage.request_logs import RequestLogRepository

    with TestClient(create_app(Settings.from_env(**studio_dirs)), base_url="http://localhost") as c:
        for _ in range(20):
            c.post("/api/sessions", json={"name": "x"})
    _, total = RequestLogRepository(Database(studio_dirs["data_dir"] / "hollywool.db")).list(
        type_="sessions", status=None, limit=100, offset=0
    )
    assert total == 20
