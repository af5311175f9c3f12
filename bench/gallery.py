"""Gallery at scale: list and search latency over 100,000 assets, and the grid's first-page bytes.

Fills a temporary data folder with N assets through the asset store's own bulk insert (the same
columns, the same full-text triggers) and a file plus a WebP thumbnail for each (hard links of a few
distinct files: every row has its files, the disk holds a few). Prompts come from a Zipf-weighted
vocabulary, so search words range from very common to rare. Then it times requests through the ASGI
app (every middleware, FastAPI, SQLite) with a TestClient:

- list: the first page (with its total), then pages deep in the gallery by cursor (no total),
  and with each filter;
- search: common, mid and rare words, two words, a prefix, with and without filters;
- the first page's bytes as the grid loads them: the compact JSON plus each tile's thumbnail.

Timed requests ask for full items (with `params`, as the seed's clients do); the grid's compact ones are
cheaper.

Prints p50 and p95 per group (target: p95 <= 50 ms for list and search). Nothing is asserted.

    PYTHONPATH=$PWD .venv/bin/python bench/gallery.py [--assets 100000] [--requests 200] [--page 60]
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]  # bench/queue.py shadows `queue`
sys.path.insert(0, str(_HERE.parent))
os.environ.setdefault("HOLLYWOOL_WARMUP", "0")

MODELS = ["sd15-base", "sdxl-turbo", "flux-schnell", "z-image-turbo", "wan22-t2v", "ltx-video", "qwen-image"]
LORAS = ["pixel-art", "watercolor-v2", "film-grain", "detail-tweaker", "anime-lineart"]
SESSIONS = 400


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ren", "sto", "va", "quin", "dra", "pel", "tor", "zu", "bri", "fen", "gal", "hus"]
    common = ["portrait", "landscape", "castle", "forest", "neon", "city", "cat", "astronaut", "ocean", "sunset"]
    words = list(common)
    while len(words) < size:
        w = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if w not in words:
            words.append(w)
    return words


def picture(seed: int, side: int = 512):
    """A photo-like image (smooth shapes plus grain), so that thumbnail sizes are realistic."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
    base = Image.fromarray(small).resize((side, side), Image.Resampling.BICUBIC)
    grain = rng.normal(0, 10, (side, side, 3))
    arr = np.clip(np.asarray(base, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(arr).filter(ImageFilter.GaussianBlur(0.6))


def fill(settings, n: int, rng: random.Random) -> dict:
    from hollywool.media.thumbnails import thumbnail_relative, webp_thumbnail
    from hollywool.storage.assets import AssetRepository
    from hollywool.storage.db import Database
    from hollywool.storage.sessions import SessionRepository

    settings.ensure_dirs()
    db = Database(settings.db_path)
    sessions = SessionRepository(db)
    session_ids = [
        sessions.create("image", f"session {i} {rng.choice(['study', 'moodboard', 'client'])}").id
        for i in range(SESSIONS)
    ]
    words = vocabulary(rng)
    weights = [1 / (i + 1) ** 1.05 for i in range(len(words))]
    # A few distinct files and thumbnails; every asset gets hard links to one of them.
    originals, thumbs = [], []
    seed_dir = settings.outputs_dir / "seed"
    seed_dir.mkdir(parents=True)
    for i in range(8):
        img = picture(i)
        buf = io.BytesIO()
        img.resize((64, 64)).save(buf, format="PNG")  # the "full" file: tiny, never read by the grid
        (seed_dir / f"{i}.png").write_bytes(buf.getvalue())
        (seed_dir / f"{i}.thumb.webp").write_bytes(webp_thumbnail(img))
        originals.append(seed_dir / f"{i}.png")
        thumbs.append(seed_dir / f"{i}.thumb.webp")

    repo = AssetRepository(db)
    start = time.time() - n * 60  # one asset a minute, oldest first
    t0 = time.perf_counter()
    batch: list[dict] = []
    day_dirs: set[Path] = set()
    for i in range(n):
        created = start + i * 60 + rng.random()
        asset_id = uuid.uuid4().hex
        rel = f"images/{time.strftime('%Y-%m-%d', time.localtime(created))}/{asset_id}.png"
        k = i % len(originals)
        folder = settings.outputs_dir / rel.rsplit("/", 1)[0]
        if folder not in day_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            day_dirs.add(folder)
        os.link(originals[k], settings.outputs_dir / rel)
        thumb = thumbnail_relative(rel)
        os.link(thumbs[k], settings.outputs_dir / thumb)
        loras = [{"lora_id": rng.choice(LORAS), "weight": 0.8}] if rng.random() < 0.2 else []
        batch.append(
            {
                "id": asset_id,
                "kind": "video" if rng.random() < 0.1 else "image",
                "path": rel,
                "mime": "image/png",
                "width": 1024,
                "height": 1024,
                "size_bytes": 1_500_000,
                "thumbnail_path": thumb,
                "model": rng.choice(MODELS),
                "prompt": " ".join(rng.choices(words, weights, k=rng.randint(6, 18))),
                "negative_prompt": "blurry, low quality" if rng.random() < 0.5 else None,
                "seed": rng.randint(0, 2**32),
                "params": {"steps": 20, "guidance_scale": 4.5, "loras": loras},
                "session_id": rng.choice(session_ids),
                "created_at": created,
                "favorite": 1 if rng.random() < 0.02 else 0,
            }
        )
        if len(batch) == 5000:
            repo.insert_many(batch)
            batch.clear()
    repo.insert_many(batch)
    fill_s = time.perf_counter() - t0
    db.close()
    return {"fill_s": fill_s, "words": words, "session_ids": session_ids, "start": start}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def timed(client, params: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    r = client.get("/api/assets", params=params)
    ms = (time.perf_counter() - t0) * 1000
    r.raise_for_status()
    return ms, r.json()


def report(name: str, times: list[float], note: str = "") -> None:
    print(
        f"  {name:<34} n={len(times):<4} p50 {statistics.median(times):6.1f} ms   p95 {pct(times, 95):6.1f} ms"
        f"   max {max(times):6.1f} ms {note}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200, help="requests per group")
    ap.add_argument("--page", type=int, default=60, help="grid page size")
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from hollywool.app import create_app
    from hollywool.settings import Settings

    rng = random.Random(15)
    with tempfile.TemporaryDirectory(prefix="hollywool-gallery-bench-") as tmp:
        root = Path(tmp)
        settings = Settings.from_env(
            data_dir=root / "data", outputs_dir=root / "outputs", web_dir=None, allowed_hosts=("testserver",)
        )
        info = fill(settings, args.assets, rng)
        db_mb = settings.db_path.stat().st_size / 1e6
        print(f"filled {args.assets} assets in {info['fill_s']:.1f} s (database {db_mb:.0f} MB)")
        words, session_ids, n = info["words"], info["session_ids"], args.requests

        with TestClient(create_app(settings)) as client:
            page = args.page
            timed(client, {"limit": page})  # warm the page cache once
            print(f"\nlist ({n} requests per group, page of {page}):")
            report("first page + total", [timed(client, {"limit": page})[0] for _ in range(n)])

            # Deep pages: walk by cursor from the first page down, no count.
            deep, cursor, depth = [], None, 0
            while len(deep) < n:
                q = {"limit": page, "include_total": False, **({"cursor": cursor} if cursor else {})}
                ms, body = timed(client, q)
                deep.append(ms)
                depth += len(body["items"])
                cursor = body["next_cursor"] or None
            report("cursor pages (walk)", deep, f"down to item {depth}")
            jump = []
            for _ in range(n):  # a cursor near the bottom of the gallery
                item = rng.randrange(args.assets // 2, args.assets - page)
                _, at = timed(client, {"limit": 1, "offset": item, "include_total": False})
                cur = at["next_cursor"]
                jump.append(timed(client, {"limit": page, "cursor": cur, "include_total": False})[0])
            report("cursor page at depth 50k..100k", jump)
            filters = [
                {"kind": "video"},
                {"model": rng.choice(MODELS)},
                {"session_id": rng.choice(session_ids)},
                {"favorite": True},
                {"created_after": info["start"] + 30 * 86400, "created_before": info["start"] + 31 * 86400},
            ]
            for f in filters:
                key = next(iter(f))
                report(f"filter {key} + total", [timed(client, {"limit": page, **f})[0] for _ in range(n // 2)])
            offset_times = [timed(client, {"limit": 50, "offset": args.assets - 100})[0] for _ in range(n // 4)]
            report("seed offset paging, offset ~100k", offset_times, "(offset walks; the UI uses cursors)")

            print(f"\nsearch ({n} requests per group, page of {page}, with total):")
            groups = {
                "common word": [words[i] for i in range(10)],
                "mid word": [words[i] for i in range(100, 300)],
                "rare word": [words[i] for i in range(2000, 3000)],
                "two words": [f"{words[rng.randrange(50)]} {words[rng.randrange(50, 500)]}" for _ in range(100)],
                "prefix (3 letters)": [words[i][:3] for i in range(20, 200)],
                "model / LoRA / session": [*MODELS, *LORAS, "session 12", "moodboard"],
                "common word + kind=video": [words[i] for i in range(10)],
                "mid word + favourites": [words[i] for i in range(100, 300)],
            }
            all_search = []
            for name, terms in groups.items():
                extra = {"kind": "video"} if "video" in name else {"favorite": True} if "favourites" in name else {}
                times, hits = [], []
                for _ in range(n):
                    ms, body = timed(client, {"limit": page, "search": rng.choice(terms), **extra})
                    times.append(ms)
                    hits.append(body["total"])
                all_search += times
                report(name, times, f"(hits median {statistics.median(hits):.0f})")
            report("all searches", all_search)

            # The grid asks for compact items (no `params`) and then loads each tile's thumbnail.
            grid = client.get("/api/assets", params={"limit": page, "compact": True})
            full_json = len(client.get("/api/assets", params={"limit": page}).content)
            thumb_bytes = sum(len(client.get(a["thumbnail_url"]).content) for a in grid.json()["items"])
            print(
                f"\nfirst page of the grid ({page} tiles): JSON {len(grid.content) / 1024:.1f} KiB (compact; "
                f"{full_json / 1024:.1f} KiB with params) + thumbnails {thumb_bytes / 1024:.1f} KiB = "
                f"{(len(grid.content) + thumb_bytes) / 1024:.1f} KiB; full files are never requested by the grid"
            )


if __name__ == "__main__":
    main()
