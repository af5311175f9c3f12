"""Fake Civitai: REST API v1 (search, model, version, by-hash, enums) and downloads through a
302 to a short-lived signed file URL on the same server.

Register data with `fake.add_model(name, type, base_model, files={filename: bytes}, ...)`; it answers
the model JSON (`["id"]`, `["modelVersions"][0]["id"]`, file `hashes`). Knobs: `fail_next()` (429
with Retry-After, 5xx), `drop_next_download_after(k)`, `corrupt_next_download()`, `url_ttl`,
`chunk_delay`, `delay`. Counters: `download_calls` (hits on /api/download), `file_calls`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import zlib
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeServer
from tests.fakes.streaming import FileResponse

MODEL_TYPES = [
    "Checkpoint",
    "TextualInversion",
    "Hypernetwork",
    "AestheticGradient",
    "LORA",
    "LoCon",
    "DoRA",
    "Controlnet",
    "Upscaler",
    "MotionModule",
    "VAE",
    "Poses",
    "Wildcards",
    "Workflows",
    "Detection",
    "Other",
]
BASE_MODELS = [
    "SD 1.4",
    "SD 1.5",
    "SD 1.5 LCM",
    "SD 1.5 Hyper",
    "SD 2.0",
    "SD 2.1",
    "SDXL 1.0",
    "SDXL Lightning",
    "SDXL Hyper",
    "SDXL Turbo",
    "Pony",
    "Illustrious",
    "NoobAI",
    "SD 3",
    "SD 3.5",
    "SD 3.5 Medium",
    "SD 3.5 Large",
    "Flux.1 S",
    "Flux.1 D",
    "Flux.1 Kontext",
    # Civitai's newer names (civitai/civitai, src/shared/constants/basemodel.constants.ts, baseModelRecords).
    "Flux.2 D",
    "Flux.2 Klein 4B",
    "Flux.2 Klein 4B-base",
    "Flux.2 Klein 9B",
    "Flux.2 Klein 9B-base",
    "ZImageTurbo",
    "ZImageBase",
    "Qwen",
    "Qwen 2",
    "Krea 2",
    "Chroma",
    "Hunyuan Video",
    "Wan Video",
    "Wan Video 1.3B t2v",
    "Wan Video 14B t2v",
    "Wan Video 14B i2v 480p",
    "Wan Video 14B i2v 720p",
    "Wan Video 2.2 TI2V-5B",
    "Wan Video 2.2 T2V-A14B",
    "Wan Video 2.2 I2V-A14B",
    "LTXV",
    "LTXV2",
    "LTXV 2.3",
    "Other",
]
SORTS = [
    "Highest Rated",
    "Most Downloaded",
    "Most Liked",
    "Most Discussed",
    "Most Collected",
    "Most Images",
    "Newest",
    "Oldest",
]
PERIODS = ["AllTime", "Year", "Month", "Week", "Day"]
FILE_TYPES = ["Model", "Pruned Model", "VAE", "Config", "Training Data", "Negative", "Archive"]
FORMATS = ["SafeTensor", "PickleTensor", "GGUF", "Diffusers", "Core ML", "ONNX", "Other"]


class FakeCivitai(FakeServer):
    def __init__(self, api_key: str = "civitai-test-key") -> None:
        self.api_key = api_key
        self.models: dict[int, dict] = {}
        self.versions: dict[int, dict] = {}
        self.blobs: dict[int, bytes] = {}  # file id -> bytes
        self.gated: set[int] = set()  # version ids that need a key
        self.url_ttl = 60.0
        self.chunk_delay = 0.0
        self.download_calls = 0
        self.file_calls = 0
        self._drop_after: int | None = None
        self._corrupt = False
        self._secret = b"fake-civitai-secret"
        self._next = {"model": 100001, "version": 200001, "file": 300001}
        super().__init__()

    # ---- registering data ------------------------------------------------------------------------
    def _new_id(self, kind: str) -> int:
        self._next[kind] += 1
        return self._next[kind] - 1

    def add_model(
        self,
        name: str,
        type: str = "Checkpoint",
        base_model: str = "SD 1.5",
        files: dict[str, bytes] | None = None,
        trained_words: list[str] | None = None,
        gated: bool = False,
        *,
        nsfw: bool = False,
        tags: list[str] | None = None,
        creator: str = "fake_creator",
        version_name: str = "v1.0",
        downloads: int = 1000,
        thumbs_up: int = 100,
        description: str = "<p>A fake model for tests.</p>",
    ) -> dict:
        model_id = self._new_id("model")
        model = {
            "id": model_id,
            "name": name,
            "description": description,
            "allowNoCredit": True,
            "allowCommercialUse": ["Image", "RentCivit"],
            "allowDerivatives": True,
            "allowDifferentLicense": True,
            "type": type,
            "minor": False,
            "sfwOnly": False,
            "poi": False,
            "nsfw": nsfw,
            "nsfwLevel": 1,
            "availability": "Public",
            "cosmetic": None,
            "supportsGeneration": False,
            "stats": {
                "downloadCount": downloads,
                "favoriteCount": 0,
                "thumbsUpCount": thumbs_up,
                "thumbsDownCount": 0,
                "commentCount": 3,
                "ratingCount": 0,
                "rating": 0,
                "tippedAmountCount": 0,
            },
            "creator": {"username": creator, "image": f"{self.url}/images/avatar-{creator}.png"},
            "tags": tags or [type.lower(), "base model"],
            "modelVersions": [],
        }
        self.models[model_id] = model
        self.add_version(model_id, version_name, base_model, files, trained_words or [], gated)
        return model

    def add_version(
        self,
        model_id: int,
        name: str,
        base_model: str = "SD 1.5",
        files: dict[str, bytes] | None = None,
        trained_words: list[str] | None = None,
        gated: bool = False,
    ) -> dict:
        """A newer version of a registered model (listed first, as Civitai does)."""
        model = self.models[model_id]
        version_id = self._new_id("version")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(1700000000 + version_id))
        download_url = f"{self.url}/api/download/models/{version_id}"
        version = {
            "id": version_id,
            "modelId": model_id,
            "name": name,
            "createdAt": stamp,
            "updatedAt": stamp,
            "status": "Published",
            "availability": "Public",
            "publishedAt": stamp,
            "trainedWords": trained_words or [],
            "trainingStatus": None,
            "trainingDetails": None,
            "baseModel": base_model,
            "baseModelType": "Standard",
            "earlyAccessEndsAt": None,
            "earlyAccessConfig": None,
            "description": f"<p>{name}</p>",
            "uploadType": "Created",
            "usageControl": "Download",
            "air": f"urn:air:sd1:{model['type'].lower()}:civitai:{model_id}@{version_id}",
            "nsfwLevel": 1,
            "stats": {
                "downloadCount": model["stats"]["downloadCount"],
                "ratingCount": 0,
                "rating": 0,
                "thumbsUpCount": model["stats"]["thumbsUpCount"],
                "thumbsDownCount": 0,
            },
            "model": {"name": model["name"], "type": model["type"], "nsfw": model["nsfw"], "poi": False},
            "files": [
                self._file(version_id, fname, data, i == 0)
                for i, (fname, data) in enumerate(
                    (files or {f"{model['name']}.safetensors": f"weights of {version_id}".encode()}).items()
                )
            ],
            "images": [self._image(version_id, n) for n in range(2)],
            "downloadUrl": download_url,
        }
        self.versions[version_id] = version
        model["modelVersions"].insert(0, version)
        if gated:
            self.gated.add(version_id)
        return version

    def _file(self, version_id: int, name: str, data: bytes, primary: bool) -> dict:
        file_id = self._new_id("file")
        self.blobs[file_id] = data
        sha = hashlib.sha256(data).hexdigest().upper()
        ext = name.rsplit(".", 1)[-1].lower()
        fmt = {"safetensors": "SafeTensor", "ckpt": "PickleTensor", "pt": "PickleTensor", "gguf": "GGUF"}.get(
            ext, "Other"
        )
        return {
            "id": file_id,
            "sizeKB": len(data) / 1024,
            "name": name,
            "type": "Model" if primary else "VAE",
            "pickleScanResult": "Success",
            "pickleScanMessage": "No Pickle imports",
            "virusScanResult": "Success",
            "virusScanMessage": None,
            "scannedAt": "2024-01-01T00:00:00.000Z",
            "metadata": {"format": fmt, "size": "pruned", "fp": "fp16"},
            "hashes": {
                "AutoV1": sha[:8],
                "AutoV2": sha[:10],
                "SHA256": sha,
                "AutoV3": sha[-12:],
                "CRC32": f"{zlib.crc32(data):08X}",
                "BLAKE3": hashlib.blake2b(data).hexdigest()[:64].upper(),
            },
            "primary": primary,
            "downloadUrl": f"{self.url}/api/download/models/{version_id}" + ("" if primary else "?type=VAE"),
        }

    def _image(self, version_id: int, n: int) -> dict:
        return {
            "url": f"{self.url}/images/{version_id}-{n}.jpeg",
            "nsfwLevel": 1,
            "width": 832,
            "height": 1216,
            "hash": "U5Bf+u~q00IU00Rj%MRj00t7?bxu-;xuM{WB",
            "type": "image",
            "hasMeta": True,
            "onSite": False,
            "meta": {
                "seed": 1234 + n,
                "steps": 25,
                "prompt": "a fake preview",
                "sampler": "DPM++ 2M Karras",
                "cfgScale": 7,
            },
        }

    def drop_next_download_after(self, num_bytes: int) -> None:
        """The next file response closes the socket after `num_bytes` body bytes (once)."""
        self._drop_after = num_bytes

    def corrupt_next_download(self) -> None:
        """The next file response serves wrong bytes of the right length (hash mismatch)."""
        self._corrupt = True

    # ---- HTTP ------------------------------------------------------------------------------------
    def routes(self):
        return [
            Route("/api/v1/models", self.search),
            Route("/api/v1/models/{model_id:int}", self.get_model),
            Route("/api/v1/model-versions/{version_id:int}", self.get_version),
            Route("/api/v1/model-versions/by-hash/{hash}", self.by_hash),
            Route("/api/v1/enums", self.enums),
            Route("/api/download/models/{version_id:int}", self.download),
            Route("/files/{file_id:int}/{name}", self.file),
        ]

    def error_response(self, status: int, message: str, headers: dict[str, str]) -> Response:
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    async def search(self, request: Request):
        q = request.query_params
        problems = []
        types = _multi(q, "types")
        base_models = _multi(q, "baseModels")
        problems += [_enum_issue("types", t, MODEL_TYPES) for t in types if t not in MODEL_TYPES]
        problems += [_enum_issue("baseModels", b, BASE_MODELS) for b in base_models if b not in BASE_MODELS]
        for key, allowed in (("sort", SORTS), ("period", PERIODS), ("nsfw", ["true", "false"])):
            if key in q and q[key] not in allowed:
                problems.append(_enum_issue(key, q[key], allowed))
        limit = q.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            problems.append(
                {
                    "code": "too_big",
                    "maximum": 100,
                    "type": "number",
                    "inclusive": True,
                    "exact": False,
                    "message": "Number must be less than or equal to 100",
                    "path": ["limit"],
                }
            )
        if problems:
            return JSONResponse({"error": {"issues": problems, "name": "ZodError"}}, status_code=400)
        if "page" in q and "query" in q:
            return JSONResponse(
                {"error": "Cannot use page param with query search. Use cursor-based pagination."},
                status_code=400,
            )
        items = self._filter(q, types, base_models)
        limit_n = int(limit)
        if "page" in q:
            page = max(1, int(q["page"]))
            chunk = items[(page - 1) * limit_n : page * limit_n]
            total_pages = max(1, -(-len(items) // limit_n))
            meta = {
                "totalItems": len(items),
                "currentPage": page,
                "pageSize": limit_n,
                "totalPages": total_pages,
            }
            if page < total_pages:
                meta["nextPage"] = self._page_url(request, page=str(page + 1))
            return JSONResponse({"items": chunk, "metadata": meta})
        offset = int(q["cursor"].split("|")[0]) if q.get("cursor", "").split("|")[0].isdigit() else 0
        chunk = items[offset : offset + limit_n]
        meta = {}
        if offset + limit_n < len(items):
            cursor = f"{offset + limit_n}|{int(time.time())}"
            meta = {"nextCursor": cursor, "nextPage": self._page_url(request, cursor=cursor)}
        return JSONResponse({"items": chunk, "metadata": meta})

    def _filter(self, q, types, base_models) -> list[dict]:
        items = list(self.models.values())
        if q.get("nsfw", "false") != "true":
            items = [m for m in items if not m["nsfw"]]
        if types:
            items = [m for m in items if m["type"] in types]
        if base_models:
            items = [m for m in items if any(v["baseModel"] in base_models for v in m["modelVersions"])]
        if "query" in q:
            needle = q["query"].lower()
            items = [m for m in items if needle in m["name"].lower() or any(needle in t for t in m["tags"])]
        if "tag" in q:
            items = [m for m in items if q["tag"].lower() in m["tags"]]
        if "username" in q:
            items = [m for m in items if m["creator"]["username"] == q["username"]]
        if "ids" in q:
            ids = {int(i) for i in _multi(q, "ids") if i.isdigit()}
            items = [m for m in items if m["id"] in ids]
        sort = q.get("sort", "Highest Rated")
        keys = {
            "Most Downloaded": lambda m: -m["stats"]["downloadCount"],
            "Newest": lambda m: -m["id"],
            "Oldest": lambda m: m["id"],
        }
        return sorted(items, key=keys.get(sort, lambda m: -m["stats"]["thumbsUpCount"]))

    def _page_url(self, request: Request, **changes: str) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
        return f"{self.url}/api/v1/models?{urlencode(params + list(changes.items()))}"

    async def get_model(self, request: Request):
        model = self.models.get(request.path_params["model_id"])
        if model is None:
            return JSONResponse({"error": f"No model with id {request.path_params['model_id']}"}, status_code=404)
        return JSONResponse(model)

    async def get_version(self, request: Request):
        version = self.versions.get(request.path_params["version_id"])
        if version is None:
            return JSONResponse({"error": "Version not found"}, status_code=404)
        return JSONResponse(version)

    async def by_hash(self, request: Request):
        wanted = request.path_params["hash"].upper()
        for version in self.versions.values():
            for f in version["files"]:
                if wanted in (h.upper() for h in f["hashes"].values()):
                    return JSONResponse(version)
        return JSONResponse({"error": "Model not found"}, status_code=404)

    async def enums(self, request: Request):
        return JSONResponse(
            {
                "ModelType": MODEL_TYPES,
                "ModelFileType": FILE_TYPES,
                "ActiveBaseModel": BASE_MODELS,
                "BaseModel": BASE_MODELS,
                "BaseModelType": ["Standard", "Inpainting", "Refiner", "Pix2Pix"],
                "ModelFileFormat": FORMATS,
                "CheckpointType": ["Trained", "Merge"],
            }
        )

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header == f"Bearer {self.api_key}" or request.query_params.get("token") == self.api_key

    async def download(self, request: Request):
        self.download_calls += 1
        version_id = request.path_params["version_id"]
        version = self.versions.get(version_id)
        if version is None:
            return JSONResponse({"error": "Model not found"}, status_code=404)
        if version_id in self.gated and not self._authorized(request):
            return JSONResponse(
                {
                    "error": "Unauthorized",
                    "message": "The creator of this asset requires you to be logged in to download it",
                },
                status_code=401,
            )
        chosen = _pick_file(version["files"], request.query_params)
        if chosen is None:
            return JSONResponse({"error": "File not found"}, status_code=404)
        expires = int(time.time() + self.url_ttl)
        sig = self._sign(chosen["id"], expires)
        location = f"{self.url}/files/{chosen['id']}/{chosen['name']}?{urlencode({'exp': expires, 'sig': sig})}"
        return RedirectResponse(location, status_code=307 if request.method != "GET" else 302)

    def _sign(self, file_id: int, expires: int) -> str:
        return hmac.new(self._secret, f"{file_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    async def file(self, request: Request):
        self.file_calls += 1
        file_id = request.path_params["file_id"]
        q = request.query_params
        expires = int(q["exp"]) if q.get("exp", "").isdigit() else 0
        if file_id not in self.blobs or not hmac.compare_digest(q.get("sig", ""), self._sign(file_id, expires)):
            return Response("<Error><Code>AccessDenied</Code></Error>", status_code=403, media_type="application/xml")
        if time.time() > expires:
            return Response(
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                status_code=403,
                media_type="application/xml",
            )
        data = self.blobs[file_id]
        if self._corrupt:
            self._corrupt = False
            data = bytes(b ^ 0xFF for b in data)
        drop, self._drop_after = self._drop_after, None
        name = request.path_params["name"]
        return FileResponse(
            data,
            request.headers.get("range"),
            drop_after=drop,
            chunk_delay=self.chunk_delay,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _multi(q, key: str) -> list[str]:
    return [part for value in q.getlist(key) for part in value.split(",") if part]


def _enum_issue(key: str, value: str, allowed: list[str]) -> dict:
    expected = " | ".join(f"'{a}'" for a in allowed)
    return {
        "received": value,
        "code": "invalid_enum_value",
        "options": allowed,
        "path": [key],
        "message": f"Invalid enum value. Expected {expected}, received '{value}'",
    }


def _pick_file(files: list[dict], q) -> dict | None:
    candidates = [f for f in files if "type" not in q or f["type"] == q["type"]]
    candidates = [f for f in candidates if "format" not in q or f["metadata"]["format"] == q["format"]]
    candidates = [f for f in candidates if "fp" not in q or f["metadata"]["fp"] == q["fp"]]
    candidates = [f for f in candidates if "size" not in q or f["metadata"]["size"] == q["size"]]
    if not q.keys() & {"type", "format", "fp", "size"}:
        candidates = [f for f in candidates if f["primary"]] or candidates
    return candidates[0] if candidates else None
