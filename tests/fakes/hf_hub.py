"""A fake Hugging Face Hub speaking the HTTP protocol huggingface_hub 2.x uses for downloads.

Endpoints (what `snapshot_download` / `hf_hub_download` / `HfApi.model_info` call):

- `GET /api/models/{repo}[/revision/{rev}]`: model info with `sha` and `siblings` (sizes and LFS data
  with `?blobs=true`), public even for gated repos, as on the real hub.
- `GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=true`: the file listing (one page).
- `HEAD|GET /{repo}/resolve/{rev}/{filename}`: `X-Repo-Commit`, `ETag` and `Content-Length` for a
  regular file (the body on GET, Range honoured); for an LFS file (`*.safetensors`, `*.bin`) a 302 to
  the "CDN" with `X-Linked-Etag` (the sha256) and `X-Linked-Size`.
- `GET /cdn/{sha256}?sig=...` on the `localhost` name of the same server (another origin, so the
  client neither follows the HEAD redirect nor forwards its token, like the real CDN), Range honoured.

Errors carry `X-Error-Code` / `X-Error-Message` as the hub's do: an unknown repo is a 401
`RepoNotFound`, a gated repo's files without a token a 401 `GatedRepo`, with a token not on the
repo's accepted list a 403 `GatedRepo`, an unknown revision a 404 `RevisionNotFound`, an unknown file a
404 `EntryNotFound`.

Knobs: `add_repo(repo_id, folder, gated=..., tokens=...)`, `drop_once(filename, after_bytes)`
(the next body of that file stops after K bytes and the socket closes), `chunk_delay`.
Records: `bytes_served[filename]` (body bytes sent, also of responses cut short), `file_requests`
(one `FileRequest` per HEAD/GET on a file, with its `Range` header) and `requests_for(filename)`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeServer
from tests.fakes.streaming import FileResponse

_LFS_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".onnx", ".gguf")
_SKIP = {".testkit-version"}


@dataclass
class HubFile:
    path: str
    data: bytes

    @property
    def lfs(self) -> bool:
        return self.path.endswith(_LFS_SUFFIXES)

    @property
    def git_oid(self) -> str:
        """The git blob id (of the LFS pointer for an LFS file, like the hub)."""
        body = self.pointer if self.lfs else self.data
        return hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def pointer(self) -> bytes:
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\nsize {len(self.data)}\n"
        ).encode()

    def info(self, blobs: bool) -> dict:
        out: dict = {"rfilename": self.path}
        if blobs:
            out.update(size=len(self.data), blobId=self.git_oid)
            if self.lfs:
                out["lfs"] = {"size": len(self.data), "sha256": self.sha256, "pointerSize": len(self.pointer)}
        return out

    def tree_entry(self) -> dict:
        out: dict = {"type": "file", "path": self.path, "size": len(self.data), "oid": self.git_oid}
        if self.lfs:
            out["lfs"] = {"oid": self.sha256, "size": len(self.data), "pointerSize": len(self.pointer)}
        return out


@dataclass
class HubRepo:
    repo_id: str
    files: dict[str, HubFile]
    gated: bool = False
    tokens: set[str] = field(default_factory=set)

    @property
    def sha(self) -> str:
        digest = hashlib.sha1()
        for name in sorted(self.files):
            digest.update(f"{name}\0{self.files[name].git_oid}\n".encode())
        return digest.hexdigest()


@dataclass
class FileRequest:
    repo_id: str
    filename: str
    method: str
    range: str | None
    via: str  # "resolve" or "cdn"


class FakeHub(FakeServer):
    def __init__(self) -> None:
        self.repos: dict[str, HubRepo] = {}
        self.bytes_served: Counter[str] = Counter()
        self.file_requests: list[FileRequest] = []
        self.chunk_delay = 0.0
        self._drops: dict[str, int] = {}
        self._blobs: dict[str, tuple[HubRepo, HubFile]] = {}
        self._knobs = threading.Lock()
        super().__init__()

    # ---- setup and knobs ---------------------------------------------------------------------
    def add_repo(self, repo_id: str, folder: Path, *, gated: bool = False, tokens: tuple[str, ...] = ()) -> HubRepo:
        """Serve every file under `folder` as the repo `repo_id` (gated: only `tokens` may download)."""
        files = {
            p.relative_to(folder).as_posix(): HubFile(p.relative_to(folder).as_posix(), p.read_bytes())
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in _SKIP
        }
        repo = HubRepo(repo_id, files, gated=gated, tokens=set(tokens))
        self.repos[repo_id] = repo
        for f in files.values():
            if f.lfs:
                self._blobs[f.sha256] = (repo, f)
        return repo

    def drop_once(self, filename: str, after_bytes: int) -> None:
        """The next response body of `filename` (repo path) stops after `after_bytes` and the socket closes."""
        with self._knobs:
            self._drops[filename] = after_bytes

    def requests_for(self, filename: str, method: str | None = None) -> list[FileRequest]:
        return [r for r in self.file_requests if r.filename == filename and (method is None or r.method == method)]

    @property
    def cdn_url(self) -> str:
        return f"http://localhost:{self._port}"

    # ---- protocol ----------------------------------------------------------------------------
    def routes(self) -> list:
        return [
            Route("/api/models/{rest:path}", self._api_models, methods=["GET"]),
            Route("/cdn/{sha256}", self._cdn, methods=["GET", "HEAD"]),
            Route("/{org}/{name}/resolve/{rev}/{filename:path}", self._resolve, methods=["GET", "HEAD"]),
        ]

    def error_response(self, status: int, message: str, headers: dict[str, str]) -> Response:
        return _hub_error(status, "", message, headers)

    def _token(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return None
        return auth.removeprefix("Bearer ").strip() or None

    def _repo(self, repo_id: str, request: Request) -> HubRepo | Response:
        repo = self.repos.get(repo_id)
        if repo is None:
            status = 404 if self._token(request) else 401
            return _hub_error(status, "RepoNotFound", "Repository not found")
        return repo

    def _revision(self, repo: HubRepo, rev: str) -> Response | None:
        if rev in ("main", repo.sha):
            return None
        return _hub_error(404, "RevisionNotFound", "Invalid rev id: " + rev, {"X-Repo-Commit": repo.sha})

    async def _api_models(self, request: Request) -> Response:
        parts = request.path_params["rest"].strip("/").split("/")
        repo_id, rest = "/".join(parts[:2]), parts[2:]
        repo = self._repo(repo_id, request)
        if isinstance(repo, Response):
            return repo
        rev = rest[1] if len(rest) >= 2 and rest[0] in ("revision", "tree") else "main"
        bad = self._revision(repo, rev)
        if bad is not None:
            return bad
        if rest and rest[0] == "tree":
            return self._tree(repo, "/".join(rest[2:]), request.query_params.get("recursive") in ("true", "True", "1"))
        if rest and rest[0] != "revision":
            return _hub_error(404, "", "Not found")
        blobs = request.query_params.get("blobs") in ("true", "True", "1")
        return JSONResponse(
            {
                "_id": repo.sha[:24],
                "id": repo.repo_id,
                "modelId": repo.repo_id,
                "author": repo.repo_id.split("/")[0],
                "sha": repo.sha,
                "private": False,
                "gated": "manual" if repo.gated else False,
                "disabled": False,
                "library_name": "diffusers",
                "tags": ["diffusers"],
                "siblings": [f.info(blobs) for f in repo.files.values()],
                "lastModified": "2024-01-01T00:00:00.000Z",
                "createdAt": "2024-01-01T00:00:00.000Z",
            }
        )

    def _tree(self, repo: HubRepo, path: str, recursive: bool) -> Response:
        prefix = f"{path}/" if path else ""
        entries: list[dict] = []
        folders: set[str] = set()
        for name, f in repo.files.items():
            if not name.startswith(prefix):
                continue
            rel = name[len(prefix) :]
            if recursive or "/" not in rel:
                entries.append(f.tree_entry())
            if "/" in rel:
                parts = rel.split("/")[:-1]
                depth = len(parts) if recursive else 1
                folders.update(prefix + "/".join(parts[: i + 1]) for i in range(depth))
        if path and not entries:
            return _hub_error(404, "EntryNotFound", f"{path} does not exist on main")
        tree = [{"type": "directory", "path": d, "oid": hashlib.sha1(d.encode()).hexdigest()} for d in sorted(folders)]
        return JSONResponse(tree + sorted(entries, key=lambda e: e["path"]))

    async def _resolve(self, request: Request) -> Response:
        p = request.path_params
        repo = self._repo(f"{p['org']}/{p['name']}", request)
        if isinstance(repo, Response):
            return repo
        bad = self._revision(repo, p["rev"])
        if bad is not None:
            return bad
        if repo.gated:
            token = self._token(request)
            if token is None:
                return _hub_error(
                    401,
                    "GatedRepo",
                    f"Access to model {repo.repo_id} is restricted. You must have access to it and be "
                    "authenticated to access it. Please log in.",
                )
            if token not in repo.tokens:
                return _hub_error(
                    403,
                    "GatedRepo",
                    f"Access to model {repo.repo_id} is restricted and you are not in the authorized list. "
                    f"Visit https://huggingface.co/{repo.repo_id} to ask for access.",
                )
        f = repo.files.get(p["filename"])
        if f is None:
            return _hub_error(
                404, "EntryNotFound", f"{p['filename']} does not exist on {p['rev']}", {"X-Repo-Commit": repo.sha}
            )
        self.file_requests.append(
            FileRequest(repo.repo_id, f.path, request.method, request.headers.get("range"), "resolve")
        )
        headers = {"X-Repo-Commit": repo.sha, "Accept-Ranges": "bytes"}
        if f.lfs:
            location = f"{self.cdn_url}/cdn/{f.sha256}?sig={hashlib.md5(f.sha256.encode()).hexdigest()}"
            headers.update(
                {
                    "ETag": f'"{f.git_oid}"',
                    "X-Linked-Etag": f'"{f.sha256}"',
                    "X-Linked-Size": str(len(f.data)),
                    "Location": location,
                }
            )
            return RedirectResponse(location, status_code=302, headers=headers)
        headers["ETag"] = f'"{f.git_oid}"'
        return self._body(f, request, headers)

    async def _cdn(self, request: Request) -> Response:
        found = self._blobs.get(request.path_params["sha256"])
        if found is None or not request.query_params.get("sig"):
            return Response("<Error><Code>AccessDenied</Code></Error>", status_code=403, media_type="application/xml")
        repo, f = found
        self.file_requests.append(
            FileRequest(repo.repo_id, f.path, request.method, request.headers.get("range"), "cdn")
        )
        return self._body(f, request, {"ETag": f'"{f.sha256}"'})

    def _body(self, f: HubFile, request: Request, headers: dict[str, str]) -> Response:
        if request.method == "HEAD":
            return Response(status_code=200, headers={**headers, "Content-Length": str(len(f.data))})
        with self._knobs:
            drop = self._drops.pop(f.path, None)

        def sent(n: int) -> None:
            self.bytes_served[f.path] += n

        return FileResponse(
            f.data,
            request.headers.get("range"),
            headers=headers,
            drop_after=drop,
            chunk_delay=self.chunk_delay,
            on_send=sent,
        )


def _hub_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    extra = {"X-Error-Message": message, **({"X-Error-Code": code} if code else {}), **(headers or {})}
    return JSONResponse({"error": message}, status_code=status, headers=extra)
