"""The gallery at scale: full-text search, filters, favourites, keyset pages, multi-select delete and
zip, and WebP thumbnails (made once, beside the asset; video posters from the first frame).

Assets are saved through the studio's own AssetService, the path every job's results take.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

from hollywool.media.video import write_mp4


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def studio(client):
    return client.app.state.studio


def _save(studio, prompt: str = "a cat", color=(200, 30, 30), size=(96, 64), **fields):
    image = Image.new("RGB", size, color)
    params = {"steps": 4, **fields.pop("params", {})}
    fields.setdefault("model", "tiny-sd")
    return studio.assets.save_image(image, params=params, prompt=prompt, **fields)


def _save_video(studio, color=(10, 200, 10), poster=None, **fields):
    frames = [np.full((32, 48, 3), color, dtype=np.uint8)] * 4
    return studio.assets.save_file(
        "video", "mp4", "video/mp4", lambda p: write_mp4(p, frames, 8) and None, params={}, poster=poster, **fields
    )


def _ids(client, **params) -> list[str]:
    r = client.get("/api/assets", params=params)
    assert r.status_code == 200, r.text
    return [a["id"] for a in r.json()["items"]]


def _search(client, words: str, **params) -> set[str]:
    return set(_ids(client, search=words, limit=500, **params))


def test_search_covers_prompt_negative_model_loras_and_session(client, studio):
    session = studio.sessions.create("image", "Harbour studies")
    a = _save(studio, "a lighthouse on a cliff at dusk", negative_prompt="blurry watermark")
    b = _save(studio, "portrait of an astronaut", model="sdxl-turbo", params={"loras": [{"lora_id": "pixel-art"}]})
    c = _save(studio, "still life", session_id=session.id)
    assert _search(client, "lighthouse") == {a.id}
    assert _search(client, "watermark") == {a.id}  # the negative prompt
    assert _search(client, "sdxl") == {b.id}  # the model
    assert _search(client, "pixel-art") == {b.id}  # a LoRA name
    assert _search(client, "harbour") == {c.id}  # the session's name
    assert _search(client, "astro") == {b.id}  # the last word matches as a prefix (search as you type)
    assert _search(client, "lighthouse dus") == {a.id}  # every word must match
    assert _search(client, "light dusk") == set()  # words before the last are whole words
    assert _search(client, "lighthouse astronaut") == set()
    # FTS5 syntax in the box is plain text, never a server error.
    for odd in ['"', "AND", "NEAR(", "*", "a:b", "-x", "prompt:cat", "((", "'"]:
        assert client.get("/api/assets", params={"search": odd}).status_code == 200, odd
    page = client.get("/api/assets", params={"search": "lighthouse"}).json()
    assert page["total"] == 1 and page["assets"][0]["id"] == a.id  # the seed's `assets` and `total`


def test_search_index_follows_deletes_edits_and_session_renames(client, studio):
    session = studio.sessions.create("image", "Moodboard")
    a = _save(studio, "red fox in snow", session_id=session.id)
    assert _search(client, "moodboard") == {a.id}
    studio.sessions.rename(session.id, "Winter board")
    assert _search(client, "moodboard") == set()
    assert _search(client, "winter") == {a.id}
    studio.sessions.delete(session.id)  # the foreign key's SET NULL updates the row: its index too
    assert _search(client, "winter") == set()
    with studio.db.write() as conn:
        conn.execute(text("UPDATE assets SET prompt = 'grey wolf' WHERE id = :id"), {"id": a.id})
    assert _search(client, "fox") == set() and _search(client, "wolf") == {a.id}
    assert client.delete(f"/api/assets/{a.id}").status_code == 200
    assert _search(client, "wolf") == set()
    with studio.db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM assets_fts")).scalar_one() == 0


def test_migration_indexes_assets_saved_before_it(tmp_path, monkeypatch):
    """A data folder from before the gallery migration: its rows become searchable, favourites default off."""
    from hollywool.storage import db as db_module
    from hollywool.storage.assets import AssetQuery, AssetRepository

    path = tmp_path / "old.db"
    old = [m for m in db_module.MIGRATIONS if m[0] < 15]
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", old)
        engine = db_module.open_database(path)
        with db_module.writer(engine).begin() as conn:
            conn.execute(text("INSERT INTO sessions VALUES ('s1', 'image', 'Old session', 1, 1)"))
            for i, prompt in enumerate(["an old castle", "a new bridge"]):
                conn.execute(
                    text(
                        "INSERT INTO assets (id, kind, path, mime, prompt, params, session_id, created_at) "
                        "VALUES (:id, 'image', :p, 'image/png', :prompt, :params, 's1', :t)"
                    ),
                    {
                        "id": f"a{i}",
                        "p": f"images/x/a{i}.png",
                        "prompt": prompt,
                        "t": 100 + i,
                        "params": '{"loras": [{"lora_id": "ink-wash", "weight": 1}]}' if i else "{}",
                    },
                )
        engine.dispose()
    db = db_module.Database(path)
    repo = AssetRepository(db)
    assert [a.id for a in repo.page(AssetQuery(search="castle")).items] == ["a0"]
    assert [a.id for a in repo.page(AssetQuery(search="ink")).items] == ["a1"]
    assert repo.page(AssetQuery(search="old session")).total == 2
    assert not any(a.favorite for a in repo.page(AssetQuery()).items)
    # New rows continue the insertion numbers after the old ones.
    repo.insert({"id": "a2", "kind": "image", "path": "images/x/a2.png", "mime": "image/png", "prompt": "castle"})
    assert {a.id for a in repo.page(AssetQuery(search="castle")).items} == {"a0", "a2"}
    db.close()


def test_filters_kind_model_session_favourites_and_dates(client, studio):
    session = studio.sessions.create("image", "S")
    img = _save(studio, "one", model="m1", session_id=session.id)
    other = _save(studio, "two", model="m2")
    vid = _save_video(studio, model="m1", prompt="three")
    client.put(f"/api/assets/{other.id}/favorite", json={"favorite": True})
    assert _ids(client, kind="video") == [vid.id]
    assert set(_ids(client, kind="image")) == {img.id, other.id}
    assert set(_ids(client, model="m1")) == {img.id, vid.id}
    assert _ids(client, session_id=session.id) == [img.id]
    assert _ids(client, favorite=True) == [other.id]
    assert set(_ids(client, favorite=False)) == {img.id, vid.id}
    assert _ids(client, model="m1", kind="image", search="one") == [img.id]
    with studio.db.write() as conn:
        for asset, t in ((img, 1000.0), (other, 2000.0), (vid, 3000.0)):
            conn.execute(text("UPDATE assets SET created_at = :t WHERE id = :id"), {"t": t, "id": asset.id})
    assert _ids(client, created_after=1500, created_before=3000) == [other.id]  # [after, before)
    assert _ids(client, created_after=1000) == [vid.id, other.id, img.id]  # newest first
    r = client.get("/api/assets", params={"created_after": 5, "created_before": 4})
    assert r.status_code == 422 and r.json()["field"] == "created_before"
    for bad in ({"kind": "audio"}, {"favorite": "perhaps"}, {"created_after": "yesterday"}, {"limit": 0}):
        r = client.get("/api/assets", params=bad)
        assert r.status_code == 422 and r.json()["field"] == next(iter(bad)), (bad, r.json())
    assert client.get("/api/assets/models").json() == ["m1", "m2"]


def test_favourite_toggle(client, studio):
    a = _save(studio)
    assert client.get(f"/api/assets/{a.id}").json()["favorite"] is False
    r = client.put(f"/api/assets/{a.id}/favorite", json={"favorite": True})
    assert r.status_code == 200 and r.json()["favorite"] is True
    assert client.get(f"/api/assets/{a.id}").json()["favorite"] is True
    assert client.put(f"/api/assets/{a.id}/favorite", json={"favorite": False}).json()["favorite"] is False
    assert _ids(client, favorite=True) == []
    assert client.put("/api/assets/nope/favorite", json={"favorite": True}).status_code == 404
    r = client.put(f"/api/assets/{a.id}/favorite", json={"favourite": True})
    assert r.status_code == 422 and r.json()["field"] == "favorite"


def test_cursor_pages_walk_everything_once_in_order(client, studio):
    saved = [_save(studio, f"item {i}") for i in range(23)]
    with studio.db.write() as conn:  # ties on created_at: the insertion order breaks them
        conn.execute(
            text("UPDATE assets SET created_at = 500 WHERE id IN (:a, :b, :c)"),
            {"a": saved[3].id, "b": saved[4].id, "c": saved[5].id},
        )
    everything = _ids(client, limit=500)
    assert len(everything) == 23
    seen, cursor, totals = [], None, []
    while True:
        params = {"limit": 5, **({"cursor": cursor, "include_total": False} if cursor else {})}
        body = client.get("/api/assets", params=params).json()
        totals.append(body["total"])
        seen += [a["id"] for a in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == everything
    assert totals[0] == 23 and set(totals[1:]) == {None}  # later pages skip the count when asked
    # A search pages the same way, newest saved first (the index's order; the same as created_at for what
    # the studio saves, here differing only for the three rows whose created_at the test moved).
    first = client.get("/api/assets", params={"limit": 4, "search": "item"}).json()
    rest = client.get("/api/assets", params={"limit": 100, "search": "item", "cursor": first["next_cursor"]}).json()
    assert [a["id"] for a in first["items"] + rest["items"]] == [a.id for a in reversed(saved)]
    assert rest["next_cursor"] is None and first["total"] == 23
    filtered = client.get("/api/assets", params={"limit": 2, "search": "item 1", "model": "tiny-sd"}).json()
    assert filtered["total"] == 11 and filtered["next_cursor"]  # "item 1" and "item 1x" (the last word a prefix)
    for bad in ("nonsense", "bm90fGF8Yg", "!!"):
        r = client.get("/api/assets", params={"cursor": bad})
        assert r.status_code == 422 and r.json()["field"] == "cursor"
    r = client.get("/api/assets", params={"cursor": first["next_cursor"], "offset": 3})
    assert r.status_code == 422 and r.json()["field"] == "offset"
    # The seed's offset paging still answers.
    assert _ids(client, limit=5, offset=5) == everything[5:10]


def test_multi_select_delete_removes_rows_files_and_thumbnails(client, studio):
    keep, a, b = _save(studio, "keep"), _save(studio, "a"), _save_video(studio, prompt="b")
    files = [studio.assets.path_of(x) for x in (a, b)]
    thumbs = [studio.settings.outputs_dir / x.thumbnail_url.removeprefix("/outputs/") for x in (a, b)]
    assert all(p.is_file() for p in files + thumbs)
    r = client.post("/api/assets/delete", json={"ids": [a.id, b.id, "gone", a.id]})
    assert r.status_code == 200
    assert r.json() == {"deleted": [a.id, b.id], "missing": ["gone"]}
    assert not any(p.exists() for p in files + thumbs)
    assert _ids(client) == [keep.id]
    assert _search(client, "b") == set()
    for bad in ({"ids": []}, {"ids": [""]}, {}, {"ids": ["x"] * 1001}):
        r = client.post("/api/assets/delete", json=bad)
        assert r.status_code == 422 and r.json()["field"].startswith("ids"), (bad, r.json())


def test_zip_download_streams_the_selected_files(client, studio):
    a, b = _save(studio, "first", color=(1, 2, 3)), _save_video(studio, prompt="second")
    with client.stream("POST", "/api/assets/zip", json={"ids": [a.id, b.id, "missing"]}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/zip"
        assert "attachment" in r.headers["content-disposition"] and "content-length" not in r.headers
        chunks = list(r.iter_bytes())
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [a.filename, b.filename, "assets.json"]
    assert archive.read(a.filename) == studio.assets.path_of(a).read_bytes()
    assert archive.read(b.filename) == studio.assets.path_of(b).read_bytes()
    import json

    manifest = json.loads(archive.read("assets.json"))
    assert [m["prompt"] for m in manifest] == ["first", "second"]
    r = client.post("/api/assets/zip", json={"ids": ["nope"]})
    assert r.status_code == 404 and r.json()["field"] == "ids"
    assert client.post("/api/assets/zip", json={"ids": []}).status_code == 422


def _webp(data: bytes) -> Image.Image:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return Image.open(io.BytesIO(data))


def test_thumbnails_are_webp_beside_the_asset_and_made_once(client, studio):
    a = _save(studio, size=(1024, 512), color=(250, 0, 0))
    page = client.get("/api/assets").json()
    url = page["items"][0]["thumbnail_url"]
    assert url.startswith("/outputs/") and url.endswith(".thumb.webp")
    thumb = studio.settings.outputs_dir / url.removeprefix("/outputs/")
    assert thumb.parent == studio.assets.path_of(a).parent  # beside the asset
    img = _webp(client.get(url).content)
    assert img.size == (384, 192)
    assert img.convert("RGB").getpixel((10, 10))[0] > 200
    before = thumb.stat()
    assert client.get(f"/api/assets/{a.id}/thumbnail").content == thumb.read_bytes()
    assert thumb.stat().st_mtime_ns == before.st_mtime_ns and thumb.stat().st_ino == before.st_ino


def test_assets_saved_before_thumbnails_get_one_lazily(client, studio):
    a = _save(studio, color=(0, 0, 255))
    thumb = studio.settings.outputs_dir / a.thumbnail_url.removeprefix("/outputs/")
    thumb.unlink()
    with studio.db.write() as conn:
        conn.execute(text("UPDATE assets SET thumbnail_path = NULL WHERE id = :id"), {"id": a.id})
    lazy = client.get(f"/api/assets/{a.id}").json()["thumbnail_url"]
    assert lazy == f"/api/assets/{a.id}/thumbnail"
    r = client.get(lazy)
    assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
    assert _webp(r.content).convert("RGB").getpixel((5, 5))[2] > 200
    assert thumb.is_file()
    made = thumb.stat().st_mtime_ns
    # Made once: the row now names it, the list answers the static file, a second request reuses it.
    assert client.get(f"/api/assets/{a.id}").json()["thumbnail_url"].endswith(".thumb.webp")
    client.get(lazy)
    assert thumb.stat().st_mtime_ns == made
    # An asset whose file is gone answers 404, not 500.
    b = _save(studio)
    studio.assets.path_of(b).unlink()
    with studio.db.write() as conn:
        conn.execute(text("UPDATE assets SET thumbnail_path = NULL WHERE id = :id"), {"id": b.id})
    assert client.get(f"/api/assets/{b.id}/thumbnail").status_code == 404
    assert client.get("/api/assets/nope/thumbnail").status_code == 404


def test_video_posters_come_from_the_first_frame(client, studio):
    v = _save_video(studio, color=(0, 255, 0))  # no poster handed over (a provider's file): PyAV decodes one
    assert v.thumbnail_url.endswith(".thumb.webp")
    r, g, b = _webp(client.get(v.thumbnail_url).content).convert("RGB").getpixel((20, 15))
    assert g > 200 and r < 60 and b < 60
    # An engine's own poster wins over decoding.
    w = _save_video(studio, color=(0, 255, 0), poster=Image.new("RGB", (48, 32), (255, 0, 255)))
    r, g, b = _webp(client.get(w.thumbnail_url).content).convert("RGB").getpixel((20, 15))
    assert r > 200 and g < 60
    # A video saved before WebP thumbnails, with the old JPEG poster: converted on first request, JPEG removed.
    old_poster = studio.settings.outputs_dir / "videos" / "old.poster.jpg"
    Image.new("RGB", (48, 32), (0, 0, 255)).save(old_poster, format="JPEG")
    with studio.db.write() as conn:
        conn.execute(text("UPDATE assets SET thumbnail_path = 'videos/old.poster.jpg' WHERE id = :id"), {"id": v.id})
    assert client.get(f"/api/assets/{v.id}").json()["thumbnail_url"] == f"/api/assets/{v.id}/thumbnail"
    r, g, b = _webp(client.get(f"/api/assets/{v.id}/thumbnail").content).convert("RGB").getpixel((20, 15))
    assert b > 200 and not old_poster.exists()
