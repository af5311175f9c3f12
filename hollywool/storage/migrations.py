"""Versioned schema migrations, applied in order at start-up. Never edit a released one: append."""

from __future__ import annotations

_INITIAL = [
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,             -- image | video | bulk
        name TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX ix_sessions_type ON sessions(type, updated_at)",
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        lane TEXT NOT NULL,
        status TEXT NOT NULL,           -- queued | running | completed | failed | cancelled
        priority INTEGER NOT NULL DEFAULT 0,
        queue_order REAL NOT NULL,      -- lower runs first within a priority
        params TEXT NOT NULL,
        stage TEXT NOT NULL DEFAULT 'queued',
        step INTEGER NOT NULL DEFAULT 0,
        total_steps INTEGER NOT NULL DEFAULT 0,
        progress REAL NOT NULL DEFAULT 0,
        eta_seconds REAL,
        message TEXT,
        error TEXT,
        result TEXT,
        checkpoint TEXT,                -- handler state that survives a crash (e.g. saved latents)
        session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
        parent_id TEXT REFERENCES jobs(id) ON DELETE CASCADE,
        attempts INTEGER NOT NULL DEFAULT 0,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX ix_jobs_claim ON jobs(lane, status, priority DESC, queue_order)",
    "CREATE INDEX ix_jobs_queue_order ON jobs(queue_order)",
    "CREATE INDEX ix_jobs_created ON jobs(created_at DESC)",
    "CREATE INDEX ix_jobs_status ON jobs(status, created_at DESC)",
    "CREATE INDEX ix_jobs_session ON jobs(session_id, created_at DESC)",
    "CREATE INDEX ix_jobs_parent ON jobs(parent_id)",
    """
    CREATE TABLE assets (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,             -- image | video
        path TEXT NOT NULL,             -- relative to the outputs folder
        mime TEXT NOT NULL,
        width INTEGER,
        height INTEGER,
        duration REAL,
        fps REAL,
        frame_count INTEGER,
        has_audio INTEGER NOT NULL DEFAULT 0,
        size_bytes INTEGER NOT NULL DEFAULT 0,
        thumbnail_path TEXT,
        model TEXT,
        prompt TEXT,
        negative_prompt TEXT,
        seed INTEGER,
        params TEXT,
        job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
        session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
        created_at REAL NOT NULL
    )""",
    "CREATE INDEX ix_assets_created ON assets(created_at DESC)",
    "CREATE INDEX ix_assets_session ON assets(session_id, created_at DESC)",
    "CREATE INDEX ix_assets_job ON assets(job_id)",
    "CREATE INDEX ix_assets_model ON assets(model)",
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """
    CREATE TABLE request_logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,             -- api | job | provider name
        method TEXT,
        endpoint TEXT NOT NULL,
        status TEXT NOT NULL,           -- success | error
        status_code INTEGER,
        duration_ms REAL,
        request TEXT,
        response TEXT,
        error TEXT,
        created_at REAL NOT NULL
    )""",
    "CREATE INDEX ix_logs_created ON request_logs(created_at DESC)",
    """
    CREATE TABLE provider_configs (
        id TEXT PRIMARY KEY,
        api_url TEXT,
        is_enabled INTEGER NOT NULL DEFAULT 1,
        extra TEXT,
        updated_at REAL NOT NULL
    )""",
    """
    CREATE TABLE downloads (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,           -- huggingface | civitai
        ref TEXT NOT NULL,              -- repo id or model version id
        url TEXT,
        dest_path TEXT,
        filename TEXT,
        total_bytes INTEGER,
        downloaded_bytes INTEGER NOT NULL DEFAULT 0,
        sha256 TEXT,
        status TEXT NOT NULL,
        error TEXT,
        job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
        meta TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    "CREATE UNIQUE INDEX ux_downloads_ref ON downloads(source, ref)",
]

# 5: the cost ledger of remote jobs (issue 9). One row per provider request: `pending` while it runs
# (an estimate that counts against the daily budget), then `charged` or `void` (failed, cancelled).
_COST_LEDGER = [
    """
    CREATE TABLE costs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        session_id TEXT,
        request_id TEXT,
        amount_usd REAL NOT NULL DEFAULT 0,
        estimated INTEGER NOT NULL DEFAULT 1,   -- 1: from published pricing; 0: billed per the result
        status TEXT NOT NULL,                   -- pending | charged | void
        day TEXT NOT NULL,                      -- local date, YYYY-MM-DD
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX ix_costs_job ON costs(job_id)",
    "CREATE INDEX ix_costs_day ON costs(day, provider)",
]

# 4: saved ComfyUI workflows (issue 8): both formats, the parameter list found at import and the
# user's pinned inputs. The thumbnail is the last output made with the workflow.
_COMFYUI_WORKFLOWS = [
    """
    CREATE TABLE comfyui_workflows (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT,
        thumbnail_asset_id TEXT REFERENCES assets(id) ON DELETE SET NULL,
        source_format TEXT NOT NULL,    -- api | editor | png | webp
        api_graph TEXT NOT NULL,        -- {node_id: {class_type, inputs}}
        editor_workflow TEXT,           -- the editor's {nodes, links, ...}, when known
        parameters TEXT NOT NULL,       -- the parameter list found at import
        pins TEXT NOT NULL DEFAULT '[]',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX ix_comfyui_workflows_updated ON comfyui_workflows(updated_at DESC)",
]

# A failed job keeps the raw text of its error beside the sentence the user reads (issue #15).
_JOB_ERROR_DETAIL = ["ALTER TABLE jobs ADD COLUMN error_detail TEXT"]

# 15: the gallery at scale (issue 15). `seq` is the asset's stable insertion number (a table without an
# INTEGER PRIMARY KEY may have its rowids renumbered by VACUUM): the full-text index's rowid and the
# tie-break of the gallery's keyset order (created_at, seq). Triggers keep the index in step with
# inserts, deletes, edits, session renames and the session foreign key's SET NULL.
_FTS_VALUES = """
        new.prompt, new.negative_prompt, new.model,
        CASE WHEN json_valid(new.params) AND json_type(new.params, '$.loras') = 'array' THEN
            (SELECT group_concat(json_extract(value, '$.lora_id'), ' ') FROM json_each(new.params, '$.loras')
             WHERE type = 'object') END,
        (SELECT name FROM sessions WHERE id = new.session_id)"""
_GALLERY = [
    "ALTER TABLE assets ADD COLUMN seq INTEGER",
    "UPDATE assets SET seq = rowid",
    "CREATE UNIQUE INDEX ux_assets_seq ON assets(seq)",
    "ALTER TABLE assets ADD COLUMN favorite INTEGER NOT NULL DEFAULT 0",
    "DROP INDEX ix_assets_created",
    "DROP INDEX ix_assets_session",
    "DROP INDEX ix_assets_model",
    "CREATE INDEX ix_assets_order ON assets(created_at, seq)",
    "CREATE INDEX ix_assets_kind_order ON assets(kind, created_at, seq)",
    "CREATE INDEX ix_assets_model_order ON assets(model, created_at, seq)",
    "CREATE INDEX ix_assets_session_order ON assets(session_id, created_at, seq)",
    "CREATE INDEX ix_assets_favorite_order ON assets(created_at, seq) WHERE favorite = 1",
    """
    CREATE VIRTUAL TABLE assets_fts USING fts5(
        prompt, negative_prompt, model, loras, session,
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
    )""",
    f"""
    INSERT INTO assets_fts (rowid, prompt, negative_prompt, model, loras, session)
    SELECT new.seq, {_FTS_VALUES} FROM assets AS new""",
    f"""
    CREATE TRIGGER assets_fts_insert AFTER INSERT ON assets BEGIN
        INSERT INTO assets_fts (rowid, prompt, negative_prompt, model, loras, session)
        VALUES (new.seq, {_FTS_VALUES});
    END""",
    """
    CREATE TRIGGER assets_fts_delete AFTER DELETE ON assets BEGIN
        DELETE FROM assets_fts WHERE rowid = old.seq;
    END""",
    f"""
    CREATE TRIGGER assets_fts_update AFTER UPDATE OF prompt, negative_prompt, model, params, session_id, seq
    ON assets BEGIN
        DELETE FROM assets_fts WHERE rowid = old.seq;
        INSERT INTO assets_fts (rowid, prompt, negative_prompt, model, loras, session)
        VALUES (new.seq, {_FTS_VALUES});
    END""",
    """
    CREATE TRIGGER assets_fts_session_rename AFTER UPDATE OF name ON sessions BEGIN
        UPDATE assets_fts SET session = new.name WHERE rowid IN (SELECT seq FROM assets WHERE session_id = new.id);
    END""",
]

# 18: where a job ran (issue 18): {"host", "device", "worker_id"} as JSON, set when a worker takes it.
_JOB_RAN_ON = ["ALTER TABLE jobs ADD COLUMN ran_on TEXT"]

# 17: checkpoint files' sha256 (A1111's `hash` is its first 10 hex digits), computed once: keyed by the resolved
# path, with the size and mtime it was read at, so an edited file is hashed again.
_FILE_HASHES = [
    """
    CREATE TABLE file_hashes (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL,           -- lower-case hex
        hashed_at REAL NOT NULL
    )""",
]

# (version, statements). Later issues append their own versions here.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, _INITIAL),
    (4, _COMFYUI_WORKFLOWS),
    (5, _COST_LEDGER),
    (6, _JOB_ERROR_DETAIL),
    (15, _GALLERY),
    (17, _FILE_HASHES),
    (18, _JOB_RAN_ON),
]
