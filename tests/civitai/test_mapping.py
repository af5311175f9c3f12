"""Civitai JSON -> our models, the search's query string, and the small parsers of downloads."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hollywool.integrations.civitai.downloads import (
    _content_range_total,
    file_params_from_url,
    filename_from_disposition,
    safe_filename,
)
from hollywool.integrations.civitai.identify import newer_version
from hollywool.integrations.civitai.mapping import SearchQuery, model_from_json, page_from_json, version_from_json

SHA = "A" * 64


def _version(vid: int, base: str = "SD 1.5", *, nsfw_image: bool = False) -> dict:
    return {
        "id": vid,
        "modelId": 11,
        "name": f"v{vid}",
        "baseModel": base,
        "baseModelType": "Standard",
        "trainedWords": ["barnstyle", " ", "red roof "],
        "createdAt": "2024-05-01T00:00:00.000Z",
        "publishedAt": "2024-05-02T00:00:00.000Z",
        "status": "Published",
        "nsfwLevel": 1,
        "stats": {"downloadCount": 12, "thumbsUpCount": 3},
        "downloadUrl": f"https://civitai.com/api/download/models/{vid}",
        "images": [
            {"url": "https://img/1.jpeg", "width": 512, "height": 768, "nsfwLevel": 1, "type": "image", "hash": "U~"},
            {"url": "https://img/2.jpeg", "width": 512, "height": 512, "nsfwLevel": 8 if nsfw_image else 2},
        ],
        "files": [
            {
                "id": vid * 10,
                "name": "barn_v1.safetensors",
                "type": "Model",
                "sizeKB": 2048.5,
                "metadata": {"format": "SafeTensor", "size": "pruned", "fp": "fp16"},
                "pickleScanResult": "Success",
                "virusScanResult": "Success",
                "hashes": {"AutoV2": "AAAAAAAAAA", "SHA256": SHA.lower(), "CRC32": "1234"},
                "downloadUrl": f"https://civitai.com/api/download/models/{vid}",
                "primary": True,
            },
            {
                "id": vid * 10 + 1,
                "name": "vae.pt",
                "type": "VAE",
                "sizeKB": 10,
                "metadata": {"format": "PickleTensor"},
                "hashes": {},
                "downloadUrl": f"https://civitai.com/api/download/models/{vid}?type=VAE&format=PickleTensor",
            },
        ],
    }


MODEL = {
    "id": 11,
    "name": "Barn Diffusion",
    "description": "<p>Barns.</p>",
    "type": "Checkpoint",
    "nsfw": False,
    "poi": False,
    "tags": ["barn", "architecture"],
    "creator": {"username": "farmer", "image": None},
    "stats": {"downloadCount": 1500, "thumbsUpCount": 90, "thumbsDownCount": 1, "commentCount": 4},
    "allowCommercialUse": ["Image", "Rent"],
    "modelVersions": [_version(22, "SDXL 1.0", nsfw_image=True), _version(21)],
}


def test_model_details_are_mapped():
    model = model_from_json(MODEL)
    assert (model.id, model.name, model.type, model.tags) == (
        11,
        "Barn Diffusion",
        "Checkpoint",
        ["barn", "architecture"],
    )
    assert model.creator.username == "farmer" and model.stats.downloads == 1500 and model.stats.thumbs_up == 90
    assert model.base_models == ["SDXL 1.0", "SD 1.5"]
    assert (model.latest_version_id, model.latest_version_name) == (22, "v22")
    assert [v.id for v in model.versions] == [22, 21]
    v = model.versions[1]
    assert v.model_id == 11 and v.model_name == "Barn Diffusion" and v.model_type == "Checkpoint"
    assert v.trained_words == ["barnstyle", "red roof"]
    primary = v.primary_file()
    assert primary.id == 210 and primary.size_bytes == round(2048.5 * 1024)
    assert primary.sha256 == SHA and primary.autov2 == "AAAAAAAAAA"
    assert (primary.format, primary.fp, primary.size) == ("SafeTensor", "fp16", "pruned")
    vae = v.file(211)
    assert vae.type == "VAE" and vae.sha256 is None and not vae.primary
    assert v.images[0].blurhash == "U~" and not v.images[0].nsfw


def test_nsfw_previews_are_flagged_and_left_out_unless_asked_for():
    shown = model_from_json(MODEL, nsfw=True)
    assert [p.nsfw for p in shown.versions[0].images] == [False, True]
    hidden = model_from_json(MODEL, nsfw=False)
    assert [p.url for p in hidden.versions[0].images] == ["https://img/1.jpeg"]


def test_search_page_maps_items_and_cursor_and_drops_nsfw_models():
    flagged = {**MODEL, "id": 12, "nsfw": True}
    page = page_from_json({"items": [MODEL, flagged], "metadata": {"nextCursor": "abc|12"}})
    assert [m.id for m in page.items] == [11] and page.next_cursor == "abc|12"
    assert page.items[0].preview.url == "https://img/1.jpeg"
    both = page_from_json({"items": [MODEL, flagged], "metadata": {}}, nsfw=True)
    assert [m.id for m in both.items] == [11, 12] and both.next_cursor is None


def test_a_version_fetched_alone_carries_its_model():
    raw = {**_version(21), "model": {"name": "Barn", "type": "LORA", "nsfw": False}}
    v = version_from_json(raw)
    assert (v.model_id, v.model_name, v.model_type) == (11, "Barn", "LORA")


def test_search_query_writes_civitais_parameters():
    q = SearchQuery(query="barn", types=["Checkpoint", "LORA"], base_models=["SD 1.5"], sort="Newest", limit=5)
    params = q.to_params()
    assert ("query", "barn") in params and ("nsfw", "false") in params and ("sort", "Newest") in params
    assert [v for k, v in params if k == "types"] == ["Checkpoint", "LORA"]
    assert [v for k, v in params if k == "baseModels"] == ["SD 1.5"]
    for bad in ({"types": ["Bogus"]}, {"sort": "Random"}, {"limit": 0}, {"limit": 101}, {"period": "Decade"}):
        with pytest.raises(ValidationError):
            SearchQuery(**bad)


def test_download_header_parsing():
    assert filename_from_disposition('attachment; filename="barn v1.safetensors"') == "barn v1.safetensors"
    assert filename_from_disposition("attachment; filename*=UTF-8''caf%C3%A9.safetensors") == "café.safetensors"
    assert filename_from_disposition(None) is None
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("a/b\\c?.safetensors") == "c_.safetensors"
    assert _content_range_total("bytes 100-199/1000") == (100, 1000)
    assert _content_range_total("bytes 100-199/*") == (100, None)
    url = "https://civitai.com/api/download/models/5?type=VAE&format=PickleTensor&token=secret"
    assert file_params_from_url(url) == {"type": "VAE", "format": "PickleTensor"}


def test_newer_version_is_flagged():
    model = model_from_json(MODEL)
    assert newer_version(model, 22) is None
    assert newer_version(model, 21).id == 22
    assert newer_version(model, 5).id == 22  # an unlisted older version
    assert newer_version(model, 99) is None
