"""The `hollywool` command: serve the studio, list jobs, generate from the terminal."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from hollywool.settings import Settings

app = typer.Typer(help="HollyWool: a local AI image and video studio.", no_args_is_help=True)
console = Console()

_DEFAULT_URL = "http://127.0.0.1:8031"


def _server_url() -> str:
    return os.environ.get("HOLLYWOOL_URL", _DEFAULT_URL).rstrip("/")


def _headers() -> dict[str, str]:
    # X-HollyWool marks a call as not a cross-site form post (see api/origins.py).
    token = os.environ.get("HOLLYWOOL_TOKEN")
    return {"X-HollyWool": "1", **({"Authorization": f"Bearer {token}"} if token else {})}


_MIN_NETWORK_TOKEN = 16


def _check_token(token: str | None, network: bool) -> None:
    """Refuse a token that guards nothing (blank, padded) and, on a network address, a short one."""
    if token is None:
        return
    if not token.strip():
        console.print("[red]HOLLYWOOL_TOKEN is blank (only spaces):[/red] set it to a real access token, or unset it.")
        raise typer.Exit(2)
    if token != token.strip():  # a header value loses its surrounding spaces: no client could send it
        console.print("[red]HOLLYWOOL_TOKEN starts or ends with a space:[/red] remove the spaces.")
        raise typer.Exit(2)
    if len(token) < _MIN_NETWORK_TOKEN:
        if network:
            console.print(
                f"[red]HOLLYWOOL_TOKEN is too short for a network address:[/red] {len(token)} characters; "
                f"use at least {_MIN_NETWORK_TOKEN} "
                '(for example: python -c "import secrets; print(secrets.token_urlsafe(24))").'
            )
            raise typer.Exit(2)
        console.print(f"[yellow]HOLLYWOOL_TOKEN is short ({len(token)} characters); prefer 16 or more.[/yellow]")


def _in_use(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]", soft_wrap=True)  # unwrapped: the path and URL stay whole
    return typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8031,
    log_level: str = "info",
    data_dir: Annotated[
        Path | None, typer.Option(help="data folder (database, settings, config.yaml); default HOLLYWOOL_DATA_DIR")
    ] = None,
) -> None:
    """Start the studio (API, web UI and job workers) in this process."""
    import uvicorn

    from hollywool.api.security import is_loopback
    from hollywool.app import create_app
    from hollywool.storage.lock import DataFolderInUse, DataFolderLock
    from hollywool.studio import Studio

    try:
        settings = Settings.from_env(host=host, port=port, **({"data_dir": data_dir} if data_dir else {}))
    except ValueError as exc:  # a setting that cannot work (a blank token, a port that is not a number)
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if not is_loopback(host) and not settings.token:
        console.print(
            f"[red]Refusing to listen on {host}:[/red] the studio would be open to the network without an "
            "access token. Set HOLLYWOOL_TOKEN (every API call, the websocket and the event stream will "
            "then require it), or listen on 127.0.0.1."
        )
        raise typer.Exit(2)
    _check_token(settings.token, network=not is_loopback(host))
    lock = DataFolderLock(settings.data_dir)
    try:  # before the database opens: a second studio on this folder would re-queue the first one's jobs
        lock.acquire(url=f"http://{host}:{port}")
    except DataFolderInUse as exc:
        raise _in_use(str(exc)) from None
    studio = Studio(settings, lock=lock)
    console.print(f"HollyWool on [bold]http://{host}:{port}[/bold]")
    console.print(f"data: {settings.data_dir}  outputs: {settings.outputs_dir}")
    uvicorn.run(create_app(settings, studio=studio), host=host, port=port, log_level=log_level)


@app.command()
def jobs(
    limit: int = 20,
    status: Annotated[str | None, typer.Option(help="queued, running, completed, failed, cancelled")] = None,
) -> None:
    """Show the studio's recent jobs as a table."""
    params: dict = {"limit": limit}
    if status:
        params["status"] = status
    try:
        data = httpx.get(f"{_server_url()}/api/jobs", params=params, headers=_headers(), timeout=10).json()
    except httpx.HTTPError as exc:
        console.print(f"[red]Cannot reach the studio at {_server_url()}:[/red] {exc}")
        raise typer.Exit(1) from None
    table = Table("id", "kind", "status", "stage", "progress", "created", "error")
    for job in data["items"]:
        table.add_row(
            job["id"][:12],
            job["kind"],
            job["status"],
            job["stage"],
            f"{job['progress']:.0f}%",
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(job["created_at"])),
            (job.get("error") or "")[:60],
        )
    console.print(table)


@app.command()
def generate(
    prompt: str,
    model: Annotated[str, typer.Option(help="model id from the catalogue")],
    width: int = 1024,
    height: int = 1024,
    steps: int | None = None,
    guidance: float | None = None,
    seed: int | None = None,
    num_images: int = 1,
    negative_prompt: str | None = None,
    local: Annotated[bool, typer.Option(help="run in this process instead of a running studio")] = False,
) -> None:
    """Generate images: submitted to a running studio, or run in-process with --local."""
    body = {
        "prompt": prompt,
        "model": model,
        "width": width,
        "height": height,
        "steps": steps,
        "guidance_scale": guidance,
        "seed": seed,
        "num_images": num_images,
        "negative_prompt": negative_prompt,
    }
    if local:
        _generate_in_process(body)
        return
    base = _server_url()
    try:
        resp = httpx.post(f"{base}/api/jobs", json=body, headers=_headers(), timeout=30)
    except httpx.HTTPError:
        console.print(f"No studio answers at {base}; running in this process.")
        _generate_in_process(body)
        return
    if resp.status_code >= 400:
        console.print(f"[red]Rejected ({resp.status_code}):[/red] {resp.json().get('detail')}")
        raise typer.Exit(1)
    job_id = resp.json()["job_id"]
    _follow(
        lambda: httpx.get(f"{base}/api/jobs/{job_id}", headers=_headers(), timeout=10).json(),
        lambda url: f"{base}{url}",
    )


def _follow(read, locate) -> None:  # noqa: ANN001 - read() -> job dict; locate(url) -> where the file is
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("queued", total=100)
        while True:
            job = read()
            bar.update(task, completed=job["progress"], description=job["stage"])
            if job["status"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.5)
    if job["status"] != "completed":
        console.print(f"[red]{job['status']}:[/red] {job.get('error') or ''}")
        raise typer.Exit(1)
    for image in job["images"]:
        console.print(f"seed {image['seed']}: {locate(image['url'])}")


def _generate_in_process(body: dict) -> None:
    from hollywool.storage.lock import DataFolderInUse, DataFolderLock
    from hollywool.studio import Studio

    settings = Settings.from_env()
    lock = DataFolderLock(settings.data_dir)
    try:  # never a second scheduler on a folder a live studio owns: it would re-queue that one's jobs
        lock.acquire()
    except DataFolderInUse as exc:
        send = f"send the job to it with HOLLYWOOL_URL={exc.owner.url}, " if exc.owner.url else ""
        raise _in_use(f"{exc.headline}; {send}stop it, or use another HOLLYWOOL_DATA_DIR.") from None
    studio = Studio(settings, lock=lock)
    studio.start()
    try:
        job = studio.jobs.submit("image", {k: v for k, v in body.items() if v is not None})
        outputs = studio.settings.outputs_dir
        _follow(
            lambda: studio.jobs.views.one(studio.jobs.get(job.id)).model_dump(mode="json"),  # as HTTP shows it
            lambda url: str(outputs / url.removeprefix("/outputs/")),
        )
    finally:
        studio.stop()


# -- models ------------------------------------------------------------------------------------
models_app = typer.Typer(help="Models: the catalogue and the Hugging Face cache.", no_args_is_help=True)
app.add_typer(models_app, name="models")


def _models():  # noqa: ANN202 - (Catalog, HubModels); neither imports torch
    from hollywool.models.catalog import Catalog
    from hollywool.models.hub import HubModels

    settings = Settings.from_env()
    return Catalog(settings.data_dir / "config.yaml"), HubModels(timeout_s=settings.hub_timeout_s)


def _entry(catalog, model_id: str):  # noqa: ANN001, ANN202
    from hollywool.errors import StudioError

    try:
        return catalog.get(model_id)
    except StudioError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None


@models_app.command("list")
def models_list(kind: Annotated[str | None, typer.Option(help="image or video")] = None) -> None:
    """Show the catalogue: type, size, memory and whether each model is on this machine."""
    from hollywool.models.loading import model_files

    catalog, hub = _models()
    table = Table("id", "name", "type", "category", "size GB", "memory GB", "source", "here")
    for entry in catalog.all():
        if kind and (kind == "video") != entry.is_video:
            continue
        here = model_files(entry, hub) is not None
        source = entry.source + (" (gated)" if entry.gated else "")
        table.add_row(
            entry.id,
            entry.name,
            entry.type,
            entry.category,
            f"{entry.size_gb:g}",
            f"{entry.memory_gb:g}",
            source,
            "[green]yes[/green]" if here else "no",
        )
    console.print(table)


def _download_bar() -> Progress:
    from rich.progress import DownloadColumn, TransferSpeedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


@models_app.command("pull")
def models_pull(
    model_id: str,
    local: Annotated[bool, typer.Option(help="download in this process instead of a running studio")] = False,
) -> None:
    """Download a hub model into the Hugging Face cache, with a progress bar.

    Submitted as a download job to the running studio at HOLLYWOOL_URL (it shows in the studio's
    downloads); run in this process with --local, or when no studio answers.
    """
    if not local:
        base = _server_url()
        try:
            resp = httpx.post(f"{base}/api/models/{model_id}/download", headers=_headers(), timeout=30)
        except httpx.HTTPError:
            console.print(f"No studio answers at {base}; downloading in this process.")
        else:
            if resp.status_code >= 400:
                console.print(f"[red]Rejected ({resp.status_code}):[/red] {_detail(resp)}")
                raise typer.Exit(1)
            if resp.json().get("status") == "already_cached":
                console.print(f"{model_id} is already downloaded.")
                return
            job_id = resp.json()["job_id"]
            _follow_download(model_id, lambda: httpx.get(f"{base}/api/jobs/{job_id}", headers=_headers(), timeout=10))
            return
    _pull_in_process(model_id)


def _detail(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("detail"))
    except ValueError:
        return resp.text[:200]


def _follow_download(model_id: str, read) -> None:  # noqa: ANN001 - read() -> the job's HTTP response
    """Poll the download job, drawing its bytes (the job's step / total_steps) as a bar."""
    with _download_bar() as bar:
        task = bar.add_task(f"{model_id} (queued)", total=None)
        while True:
            job = read().json()
            total = job.get("total_steps") or None
            done = job.get("step") or 0
            if job["status"] == "completed" and total:
                done = total
            bar.update(task, completed=done, total=total, description=f"{model_id} ({job['stage']})")
            if job["status"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.3)
    if job["status"] != "completed":
        console.print(f"[red]{job['status']}:[/red] {job.get('error') or ''}")
        raise typer.Exit(1)
    console.print(f"{model_id}: {(job.get('result') or {}).get('path', 'downloaded')}")


def _pull_in_process(model_id: str) -> None:
    from hollywool.errors import StudioError

    catalog, hub = _models()
    entry = _entry(catalog, model_id)
    if entry.source != "hub":
        console.print(f"{model_id} is a local {entry.source} ({entry.path}); nothing to download.")
        return
    with _download_bar() as bar:
        task = bar.add_task(entry.path, total=None)

        def report(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        try:
            folder = hub.download(entry, report)
        except StudioError as exc:
            bar.stop()
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
    console.print(f"{model_id}: {folder}")


@models_app.command("rm")
def models_rm(
    model_id: str, yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False
) -> None:
    """Remove a hub model's files from the Hugging Face cache."""
    catalog, hub = _models()
    entry = _entry(catalog, model_id)
    if entry.source != "hub":
        console.print(f"{model_id} is a local {entry.source}; the studio does not delete your files.")
        raise typer.Exit(1)
    if not yes and not typer.confirm(f"Remove {entry.path} from the Hugging Face cache?"):
        raise typer.Exit(1)
    freed = hub.delete([entry.path])
    console.print(f"{model_id}: freed {freed / 1e9:.2f} GB" if freed else f"{model_id} was not in the cache")


if __name__ == "__main__":
    app()
