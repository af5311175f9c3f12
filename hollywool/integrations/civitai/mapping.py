"""Civitai's JSON (REST API v1) turned into our typed models, and the values a search accepts.

Civitai's shapes are loose (fields appear, vanish or are null depending on the model's age), so each
mapper reads defensively and keeps only what the studio shows or needs to download and verify. A
search result that cannot be read is left out of its page; a model or version that cannot be read
raises, and the client turns that into a 502 naming Civitai.

Models also carry the seed's names for the same facts (the seed answered Civitai's raw JSON):
`modelVersions` with `baseModel`, `downloadUrl`, `files[{id, name, sizeKB, type}]`, `images`, and the
counters of `stats` under Civitai's names (`downloadCount`, `thumbsUpCount`...).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

# The enums a search accepts. Civitai's `GET /enums` lists the current values; these are the ones
# the studio offers, and anything else is refused with a 422 before Civitai is asked. The base-model names
# are Civitai's own (civitai/civitai, src/shared/constants/basemodel.constants.ts, `baseModelRecords`).
MODEL_TYPES = (
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
    "Other",
)
BASE_MODELS = (
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
    "Flux.1 D",
    "Flux.1 S",
    "Flux.1 Kontext",
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
    "SD 3",
    "SD 3.5",
    "SD 3.5 Medium",
    "SD 3.5 Large",
    "SD 3.5 Large Turbo",
    "Stable Cascade",
    "SVD",
    "SVD XT",
    "CogVideoX",
    "LTXV",
    "LTXV2",
    "LTXV 2.3",
    "Mochi",
    "Hunyuan Video",
    "Wan Video",
    "Wan Video 1.3B t2v",
    "Wan Video 14B t2v",
    "Wan Video 14B i2v 480p",
    "Wan Video 14B i2v 720p",
    "Wan Video 2.2 TI2V-5B",
    "Wan Video 2.2 T2V-A14B",
    "Wan Video 2.2 I2V-A14B",
    "Other",
)
SORTS = ("Highest Rated", "Most Downloaded", "Most Liked", "Most Discussed", "Most Collected", "Newest")
PERIODS = ("AllTime", "Year", "Month", "Week", "Day")

ModelType = Literal[MODEL_TYPES]  # type: ignore[valid-type]
BaseModelName = Literal[BASE_MODELS]  # type: ignore[valid-type]
Sort = Literal[SORTS]  # type: ignore[valid-type]
Period = Literal[PERIODS]  # type: ignore[valid-type]

# Civitai's nsfwLevel is a bit field: 1 PG, 2 PG-13, 4 R, 8 X, 16 XXX. R and above count as NSFW.
_NSFW_FROM_LEVEL = 4

# Where a downloaded file goes under the Civitai folder, by model type.
FOLDER_BY_TYPE = {
    "Checkpoint": "checkpoints",
    "LORA": "loras",
    "LoCon": "loras",
    "DoRA": "loras",
    "TextualInversion": "embeddings",
    "Hypernetwork": "hypernetworks",
    "AestheticGradient": "aesthetic_gradients",
    "Controlnet": "controlnet",
    "Upscaler": "upscalers",
    "MotionModule": "motion_modules",
    "VAE": "vae",
    "Poses": "poses",
    "Wildcards": "wildcards",
    "Workflows": "workflows",
}


def catalog_type_for(base_model: str | None) -> str | None:
    """The catalogue model type of a Civitai base model (e.g. "Pony" -> "sdxl"), as the families declare."""
    from hollywool.models import families

    for family in families.REGISTRY.all():
        if base_model and base_model in family.civitai_base_models:
            return family.type
    return None


def lora_base_for(base_model: str | None) -> str | None:
    """The LoRA base of a Civitai base model ("Flux.2 Klein 4B" -> "flux2"): the first LoRA base of the family
    that Civitai name belongs to (a family lists its own base first); for a family that takes no LoRAs yet
    (LTX-2), the family's id, which no model accepts, so using it is refused naming that family. None: unknown."""
    from hollywool.models import families

    model_type = catalog_type_for(base_model)
    family = families.family(model_type) if model_type else None
    return next(iter(family.lora_bases), family.type) if family else None


def folder_for(model_type: str | None) -> str:
    return FOLDER_BY_TYPE.get(model_type or "", "other")


class SearchQuery(BaseModel):
    """A search as the studio accepts it; `to_params` writes Civitai's query string."""

    query: str | None = Field(None, max_length=200)
    types: list[ModelType] = Field(default_factory=list)
    base_models: list[BaseModelName] = Field(default_factory=list)
    sort: Sort = "Highest Rated"
    period: Period = "AllTime"
    nsfw: bool = False
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(20, ge=1, le=100)
    tag: str | None = Field(None, max_length=100)
    username: str | None = Field(None, max_length=100)

    def to_params(self) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = [
            ("limit", str(self.limit)),
            ("sort", self.sort),
            ("period", self.period),
            ("nsfw", "true" if self.nsfw else "false"),
        ]
        if self.query:
            params.append(("query", self.query))
        if self.cursor:
            params.append(("cursor", self.cursor))
        if self.tag:
            params.append(("tag", self.tag))
        if self.username:
            params.append(("username", self.username))
        params += [("types", t) for t in self.types]
        params += [("baseModels", b) for b in self.base_models]
        return params


class Creator(BaseModel):
    username: str | None = None
    image: str | None = None


class Stats(BaseModel):
    downloads: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    comments: int = 0
    rating: float | None = None
    rating_count: int | None = None
    # The same counters under Civitai's (and the seed's) names.
    downloadCount: int = 0
    favoriteCount: int = 0
    thumbsUpCount: int = 0
    thumbsDownCount: int = 0
    commentCount: int = 0
    ratingCount: int = 0


class Preview(BaseModel):
    url: str
    width: int | None = None
    height: int | None = None
    type: Literal["image", "video"] = "image"
    nsfw_level: int = 1
    nsfw: bool = Field(False, description="R or above: the UI blurs it until clicked")
    blurhash: str | None = None
    meta: dict[str, Any] | None = Field(None, description="generation parameters when Civitai knows them")


class CivitaiFile(BaseModel):
    id: int
    name: str
    type: str = "Model"
    size_bytes: int | None = None
    format: str | None = Field(None, description="SafeTensor, PickleTensor, GGUF, Diffusers, Other")
    fp: str | None = None
    size: str | None = Field(None, description="full or pruned")
    sha256: str | None = Field(None, description="upper-case hex, as Civitai publishes it")
    autov2: str | None = None
    primary: bool = False
    pickle_scan: str | None = None
    virus_scan: str | None = None
    download_url: str | None = None


class CivitaiVersion(BaseModel):
    id: int
    model_id: int | None = None
    name: str
    description: str | None = None
    base_model: str | None = None
    base_model_type: str | None = None
    trained_words: list[str] = Field(default_factory=list)
    created_at: str | None = None
    published_at: str | None = None
    status: str | None = None
    availability: str | None = None
    nsfw_level: int | None = None
    download_url: str | None = None
    stats: Stats = Field(default_factory=Stats)
    files: list[CivitaiFile] = Field(default_factory=list)
    images: list[Preview] = Field(default_factory=list)
    # Present when the version was fetched on its own (`/model-versions/{id}`, by-hash).
    model_name: str | None = None
    model_type: str | None = None

    def primary_file(self) -> CivitaiFile | None:
        for f in self.files:
            if f.primary:
                return f
        models = [f for f in self.files if f.type in ("Model", "Pruned Model")]
        return (models or self.files or [None])[0]

    def file(self, file_id: int) -> CivitaiFile | None:
        return next((f for f in self.files if f.id == file_id), None)


class SeedFile(BaseModel):
    """A version's file under Civitai's (and the seed's) names."""

    id: int
    name: str
    sizeKB: float | None = None
    type: str = "Model"
    primary: bool = False
    downloadUrl: str | None = None
    hashes: dict[str, str] = Field(default_factory=dict)


class SeedImage(BaseModel):
    url: str
    nsfw: bool = False
    nsfwLevel: int = 1
    width: int | None = None
    height: int | None = None
    type: str = "image"


class SeedVersion(BaseModel):
    """A version under Civitai's (and the seed's) names, as `modelVersions[]` lists it."""

    id: int
    name: str
    baseModel: str | None = None
    downloadUrl: str | None = None
    trainedWords: list[str] = Field(default_factory=list)
    createdAt: str | None = None
    files: list[SeedFile] = Field(default_factory=list)
    images: list[SeedImage] = Field(default_factory=list)

    @classmethod
    def of(cls, v: CivitaiVersion) -> SeedVersion:
        return cls(
            id=v.id,
            name=v.name,
            baseModel=v.base_model,
            downloadUrl=v.download_url,
            trainedWords=v.trained_words,
            createdAt=v.created_at,
            files=[
                SeedFile(
                    id=f.id,
                    name=f.name,
                    sizeKB=None if f.size_bytes is None else f.size_bytes / 1024,
                    type=f.type,
                    primary=f.primary,
                    downloadUrl=f.download_url,
                    hashes={"SHA256": f.sha256} if f.sha256 else {},
                )
                for f in v.files
            ],
            images=[
                SeedImage(url=i.url, nsfw=i.nsfw, nsfwLevel=i.nsfw_level, width=i.width, height=i.height, type=i.type)
                for i in v.images
            ],
        )


class CivitaiModelSummary(BaseModel):
    """A model as a search result card shows it."""

    id: int
    name: str
    type: str
    nsfw: bool = False
    poi: bool = False
    tags: list[str] = Field(default_factory=list)
    creator: Creator = Field(default_factory=Creator)
    stats: Stats = Field(default_factory=Stats)
    base_models: list[str] = Field(default_factory=list, description="of its versions, newest first")
    latest_version_id: int | None = None
    latest_version_name: str | None = None
    preview: Preview | None = None
    description: str | None = Field(None, description="HTML, as the creator wrote it")
    modelVersions: list[SeedVersion] = Field(
        default_factory=list, description="the versions under Civitai's (and the seed's) field names"
    )


class CivitaiModel(CivitaiModelSummary):
    """A model with every version, as the detail page shows it."""

    allow_commercial_use: list[str] | str | None = None
    versions: list[CivitaiVersion] = Field(default_factory=list)


class SearchMetadata(BaseModel):
    nextCursor: str | None = None


class SearchPage(BaseModel):
    items: list[CivitaiModelSummary]
    next_cursor: str | None = None
    metadata: SearchMetadata = Field(default_factory=SearchMetadata, description="`next_cursor` as Civitai names it")


# -- mappers ----------------------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def stats_from_json(data: Any) -> Stats:
    d = _dict(data)
    counts = {
        k: _int(d.get(k)) or 0
        for k in ("downloadCount", "favoriteCount", "thumbsUpCount", "thumbsDownCount", "commentCount", "ratingCount")
    }
    return Stats(
        downloads=counts["downloadCount"],
        thumbs_up=counts["thumbsUpCount"],
        thumbs_down=counts["thumbsDownCount"],
        comments=counts["commentCount"],
        rating=_num(d.get("rating")),
        rating_count=_int(d.get("ratingCount")),
        **counts,
    )


def preview_from_json(data: Any) -> Preview | None:
    d = _dict(data)
    if not d.get("url"):
        return None
    level = d.get("nsfwLevel")
    if isinstance(level, str):  # older answers spell it out: None, Soft, Mature, X
        level = {"None": 1, "Soft": 2, "Mature": 4, "X": 8}.get(level, 1)
    level = _int(level) or 1
    return Preview(
        url=d["url"],
        width=_int(d.get("width")),
        height=_int(d.get("height")),
        type="video" if d.get("type") == "video" else "image",
        nsfw_level=level,
        nsfw=level >= _NSFW_FROM_LEVEL or d.get("nsfw") is True,
        blurhash=d.get("hash"),
        meta=d.get("meta") if isinstance(d.get("meta"), dict) else None,
    )


def file_from_json(data: Any) -> CivitaiFile:
    d = _dict(data)
    meta = _dict(d.get("metadata"))
    hashes = {str(k).upper(): v for k, v in _dict(d.get("hashes")).items()}
    size_kb = d.get("sizeKB")
    return CivitaiFile(
        id=int(d["id"]),
        name=str(d.get("name") or f"file-{d['id']}"),
        type=str(d.get("type") or "Model"),
        size_bytes=round(float(size_kb) * 1024) if isinstance(size_kb, int | float) else None,
        format=meta.get("format"),
        fp=meta.get("fp"),
        size=meta.get("size"),
        sha256=(hashes.get("SHA256") or None) and str(hashes["SHA256"]).upper(),
        autov2=hashes.get("AUTOV2"),
        primary=bool(d.get("primary")),
        pickle_scan=d.get("pickleScanResult"),
        virus_scan=d.get("virusScanResult"),
        download_url=d.get("downloadUrl"),
    )


def version_from_json(data: Any, *, model_id: int | None = None, nsfw: bool = True) -> CivitaiVersion:
    """One version; with `nsfw=False` previews rated R and above are left out."""
    d = _dict(data)
    model = _dict(d.get("model"))
    previews = [p for p in (preview_from_json(i) for i in _list(d.get("images"))) if p is not None]
    if not nsfw:
        previews = [p for p in previews if not p.nsfw]
    return CivitaiVersion(
        id=int(d["id"]),
        model_id=_int(d.get("modelId")) or model_id,
        name=str(d.get("name") or ""),
        description=d.get("description"),
        base_model=d.get("baseModel"),
        base_model_type=d.get("baseModelType"),
        trained_words=[str(w).strip() for w in _list(d.get("trainedWords")) if str(w).strip()],
        created_at=d.get("createdAt"),
        published_at=d.get("publishedAt"),
        status=d.get("status"),
        availability=d.get("availability"),
        nsfw_level=_int(d.get("nsfwLevel")),
        download_url=d.get("downloadUrl"),
        stats=stats_from_json(d.get("stats")),
        files=[file_from_json(f) for f in _list(d.get("files")) if isinstance(f, dict) and "id" in f],
        images=previews,
        model_name=model.get("name"),
        model_type=model.get("type"),
    )


def _summary_fields(d: dict[str, Any], versions: list[CivitaiVersion]) -> dict[str, Any]:
    latest = versions[0] if versions else None
    preview = next((img for v in versions for img in v.images), None)
    bases = []
    for v in versions:
        if v.base_model and v.base_model not in bases:
            bases.append(v.base_model)
    creator = _dict(d.get("creator"))
    return dict(
        id=int(d["id"]),
        name=str(d.get("name") or ""),
        type=str(d.get("type") or "Other"),
        nsfw=bool(d.get("nsfw")),
        poi=bool(d.get("poi")),
        tags=[t if isinstance(t, str) else str(_dict(t).get("name", "")) for t in _list(d.get("tags"))],
        creator=Creator(username=creator.get("username"), image=creator.get("image")),
        stats=stats_from_json(d.get("stats")),
        base_models=bases,
        latest_version_id=latest.id if latest else None,
        latest_version_name=latest.name if latest else None,
        preview=preview,
        description=d.get("description") if isinstance(d.get("description"), str) else None,
        modelVersions=[SeedVersion.of(v) for v in versions],
    )


def _versions(d: dict[str, Any], nsfw: bool) -> list[CivitaiVersion]:
    model_id = int(d["id"])
    versions = []
    for v in _list(d.get("modelVersions")):
        if isinstance(v, dict) and "id" in v:
            version = version_from_json(v, model_id=model_id, nsfw=nsfw)
            version.model_name = version.model_name or d.get("name")
            version.model_type = version.model_type or d.get("type")
            versions.append(version)
    return versions


def summary_from_json(data: Any, *, nsfw: bool = False) -> CivitaiModelSummary:
    d = _dict(data)
    return CivitaiModelSummary(**_summary_fields(d, _versions(d, nsfw)))


def model_from_json(data: Any, *, nsfw: bool = True) -> CivitaiModel:
    d = _dict(data)
    versions = _versions(d, nsfw)
    return CivitaiModel(
        **_summary_fields(d, versions),
        allow_commercial_use=d.get("allowCommercialUse"),
        versions=versions,
    )


def _readable_summary(data: dict[str, Any], nsfw: bool) -> CivitaiModelSummary | None:
    try:
        return summary_from_json(data, nsfw=nsfw)
    except (KeyError, TypeError, ValueError, AttributeError):  # ValidationError is a ValueError
        return None


def page_from_json(data: Any, *, nsfw: bool = False) -> SearchPage:
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValueError("a search answer is an object with an `items` list")
    found = [_readable_summary(m, nsfw) for m in data["items"] if isinstance(m, dict) and "id" in m]
    items = [m for m in found if m is not None]
    if not nsfw:  # Civitai already filters with nsfw=false; this also covers a model flagged later
        items = [m for m in items if not m.nsfw]
    cursor = _dict(data.get("metadata")).get("nextCursor")
    next_cursor = None if cursor in (None, "") else str(cursor)
    return SearchPage(items=items, next_cursor=next_cursor, metadata=SearchMetadata(nextCursor=next_cursor))
