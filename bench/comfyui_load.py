"""A real ComfyUI's cold-model latency and peak memory, the reference for `bench/load.py`.

Starts a ComfyUI (`main.py --cpu` unless `--device-args` says otherwise) in a fresh process per run
and, through its own API, submits a txt2img graph (CheckpointLoaderSimple -> CLIPTextEncode x2 ->
EmptyLatentImage -> KSampler euler -> VAEDecode -> SaveImage) for the given single-file checkpoint:

* cold: the first prompt after the server is ready (imports done, model not loaded);
* cached: a second prompt with the same text and another seed (model and text embedding cached).

Per run it prints process start -> ready (GET /system_stats answers), submit -> sampling starts
(websocket `executing` of the KSampler: checkpoint loaded, prompt encoded), submit -> first step
done (first `progress` with value >= 1), the RSS before the submit and the process's peak RSS
(VmHWM) when sampling starts (the load's peak), after the first step, and at the end; the first
prompt is interrupted after its first step, the process is stopped after the second's.
One unmeasured start first puts the interpreter, libraries and checkpoint in the page cache.
Nothing is asserted. Only the standard library and `websockets` are needed here.

ComfyUI set-up used for issue #13 (no install into the studio's venv; see the report for the commit):

    # a source tree, e.g. `git archive HEAD | tar -x -C /work/comfyui` of Comfy-Org/ComfyUI
    # its requirements the venv lacks, in a folder of their own (torchaudio 2.11.1: none for torch 2.14)
    .venv/bin/pip install --target /work/comfy-deps --no-deps \\
        comfyui-frontend-package==1.27.10 comfyui-workflow-templates==0.1.95 comfyui-embedded-docs==0.2.6 \\
        torchsde trampoline scipy torchaudio==2.11.1 kornia kornia_rs pydantic-settings alembic Mako \\
        aiohttp aiosignal aiohappyeyeballs attrs frozenlist multidict propcache yarl
    .venv/bin/python bench/comfyui_load.py --comfyui /work/comfyui --python .venv/bin/python \\
        --deps /work/comfy-deps --checkpoint /tmp/hollywool-bench/sd15-random.safetensors [--runs 3]

The checkpoint is the random-weight SD 1.5 single file `bench/load.py` builds. Model, output, user
and temp folders live in `--workdir` (the checkpoint is linked there); the ComfyUI tree is not
written to.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

# bench/queue.py would shadow the standard library's `queue` (websockets uses it): keep this folder off the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from websockets.sync.client import connect  # noqa: E402

PROMPT = "a lighthouse at dusk"
SAMPLER_NODE = "3"


def workflow(checkpoint: str, size: int, steps: int, seed: int) -> dict:
    """ComfyUI's default txt2img graph in API format."""
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": checkpoint}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": PROMPT, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": size, "height": size, "batch_size": 1}},
        SAMPLER_NODE: {
            "class_type": "KSampler",
            "inputs": {
                "seed": seed,
                "steps": steps,
                "cfg": 7.5,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1.0,
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": [SAMPLER_NODE, 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "bench", "images": ["8", 0]}},
    }


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _post(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else {}


class Server:
    """One ComfyUI process on a port; `ready_s` is process start to a 200 from /system_stats."""

    def __init__(self, args: argparse.Namespace, workdir: Path, log: Path) -> None:
        command = [*shlex.split(args.python), "main.py", "--listen", "127.0.0.1", "--port", str(args.port)]
        command += shlex.split(args.device_args) + ["--disable-auto-launch"]
        command += ["--extra-model-paths-config", str(workdir / "extra_model_paths.yaml")]
        for name in ("output", "temp", "user"):
            command += [f"--{name}-directory", str(workdir / name)]
        env = dict(os.environ)
        if args.deps:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (args.deps, env.get("PYTHONPATH")) if p)
        self.url = f"http://127.0.0.1:{args.port}"
        self.log = log.open("w")
        began = time.monotonic()
        self.process = subprocess.Popen(command, cwd=args.comfyui, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"ComfyUI exited with {self.process.returncode}; see {log}")
            try:
                with urllib.request.urlopen(self.url + "/system_stats", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self.ready_s = time.monotonic() - began

    def stop(self, kill: bool = False) -> None:
        """SIGINT, as Ctrl-C would; `kill` for a process still sampling (nothing of it is kept)."""
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (less sensitive than wall time to other work on shared cores)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def submit(server: Server, graph: dict, timeout: float, wait_stop: bool = True) -> dict:
    """Queue one prompt, time its KSampler start and first step, then interrupt it.

    ComfyUI honours an interrupt only after the step under way (the second one), so `wait_stop=False`
    returns right after the first step for a process that is stopped next anyway.
    """
    pid = server.process.pid
    client_id = uuid.uuid4().hex
    result: dict = {}
    with connect(f"{server.url.replace('http', 'ws')}/ws?clientId={client_id}", max_size=None) as ws:
        submitted = time.monotonic()
        prompt_id = _post(server.url + "/prompt", {"prompt": graph, "client_id": client_id})["prompt_id"]
        deadline = submitted + timeout
        while time.monotonic() < deadline:
            message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            if isinstance(message, bytes):  # previews
                continue
            event = json.loads(message)
            kind, data = event["type"], event.get("data", {})
            if data.get("prompt_id") not in (None, prompt_id):
                continue
            now = time.monotonic() - submitted
            if kind == "execution_cached":
                result["cached_nodes"] = data.get("nodes", [])
            elif kind == "executing" and data.get("node") == SAMPLER_NODE:
                result["sampling_starts_s"] = now
                result["peak_at_sampling_mb"] = _status_mb(pid, "VmHWM")  # the checkpoint load's peak
            elif kind == "progress" and data.get("node") == SAMPLER_NODE and data.get("value", 0) >= 1:
                if "first_step_s" not in result:
                    result["first_step_s"] = now
                    result["cpu_at_first_step_s"] = _cpu_s(pid)
                    result["peak_at_first_step_mb"] = _status_mb(pid, "VmHWM")
                    if not wait_stop:
                        break
                    _post(server.url + "/interrupt")
            elif kind in ("execution_interrupted", "execution_error", "execution_success"):
                if kind == "execution_error":
                    result["error"] = data.get("exception_message")
                break
        else:
            result["error"] = "timed out"
    return result


def one_run(args: argparse.Namespace, workdir: Path, index: int) -> dict:
    server = Server(args, workdir, workdir / f"comfyui-{index}.log")
    pid = server.process.pid
    row: dict = {"ready_s": server.ready_s, "cpu_at_ready_s": _cpu_s(pid), "load": os.getloadavg()[0]}
    try:
        ckpt = Path(args.checkpoint).name
        row["rss_before_submit_mb"] = _status_mb(pid, "VmRSS")
        row["cold"] = submit(server, workflow(ckpt, args.size, args.steps, seed=1), args.timeout)
        row["cold"]["load"] = os.getloadavg()[0]
        row["cached"] = submit(server, workflow(ckpt, args.size, args.steps, seed=2), args.timeout, wait_stop=False)
        row["cached"]["load"] = os.getloadavg()[0]
        row["rss_end_mb"] = _status_mb(pid, "VmRSS")
    finally:
        server.stop(kill=True)
    return row


def prepare(args: argparse.Namespace) -> Path:
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="comfyui-bench-"))
    checkpoints = workdir / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    link = checkpoints / Path(args.checkpoint).name
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path(args.checkpoint).resolve())
    (workdir / "extra_model_paths.yaml").write_text(f"bench:\n  base_path: {workdir}\n  checkpoints: checkpoints\n")
    for name in ("output", "temp", "user"):
        (workdir / name).mkdir(exist_ok=True)
    return workdir


def report(rows: list[dict], args: argparse.Namespace) -> None:
    def s(value: float | None) -> str:
        return f"{value:.2f}s" if value is not None else "-"

    size = Path(args.checkpoint).stat().st_size / 1e9
    print(f"\nComfyUI, {Path(args.checkpoint).name}: {size:.2f} GB, {args.size}x{args.size}, {args.steps} steps")
    print(
        f"{'run':<4}{'prompt':<8}{'ready':>8}{'-> sampling':>13}{'-> 1st step':>13}{'CPU s':>8}"
        f"{'RSS@submit':>12}{'peak@sampling':>15}{'peak RSS':>10}{'load':>6}"
    )
    for i, r in enumerate(rows, 1):
        for kind in ("cold", "cached"):
            p = r[kind]
            cold = kind == "cold"
            rss = f"{r['rss_before_submit_mb']:.0f}MB" if cold else ""
            load_peak = f"{p.get('peak_at_sampling_mb', 0):.0f}MB" if cold else ""
            print(
                f"{i:<4}{kind:<8}{s(r['ready_s']) if cold else '':>8}{s(p.get('sampling_starts_s')):>13}"
                f"{s(p.get('first_step_s')):>13}{p.get('cpu_at_first_step_s', 0):>8.1f}"
                f"{rss:>12}{load_peak:>15}"
                f"{p.get('peak_at_first_step_mb', 0):>8.0f}MB{p['load']:>6.2f}"
                + (f"  cached nodes: {','.join(p['cached_nodes'])}" if p.get("cached_nodes") else "")
                + (f"  error: {p['error']}" if p.get("error") else "")
            )

    def stat(values: list[float]) -> str:
        return f"{min(values):.2f} / {statistics.median(values):.2f}" if values else "-"

    print(f"min / median of {len(rows)} runs")
    print(f"  ready                 {stat([r['ready_s'] for r in rows])} s")
    for kind in ("cold", "cached"):
        for key, label in (("sampling_starts_s", "-> sampling"), ("first_step_s", "-> 1st step")):
            print(f"  {kind:<6} {label:<14} {stat([r[kind][key] for r in rows if key in r[kind]])} s")
    print(f"  peak RSS at sampling  {stat([r['cold'].get('peak_at_sampling_mb', 0) for r in rows])} MB")
    print(f"  peak RSS (1st step)   {stat([r['cold'].get('peak_at_first_step_mb', 0) for r in rows])} MB")
    print(f"  peak RSS (end)        {stat([r['cached'].get('peak_at_first_step_mb', 0) for r in rows])} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--comfyui", required=True, help="ComfyUI source tree (holds main.py)")
    parser.add_argument("--python", required=True, help="interpreter command that runs ComfyUI")
    parser.add_argument("--checkpoint", required=True, help="single-file SD 1.5 checkpoint")
    parser.add_argument("--deps", help="folder prepended to ComfyUI's PYTHONPATH (its extra requirements)")
    parser.add_argument("--device-args", default="--cpu", help="ComfyUI device flags (default: --cpu)")
    parser.add_argument("--workdir", help="models/output/user folders (default: a new temporary folder)")
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per prompt")
    parser.add_argument("--no-prime", action="store_true", help="skip the unmeasured first start")
    args = parser.parse_args()

    workdir = prepare(args)
    print(f"work folder {workdir}", flush=True)
    if not args.no_prime:
        with Path(args.checkpoint).open("rb") as f:  # into the page cache, as for the studio's bench
            while f.read(1 << 24):
                pass
        Server(args, workdir, workdir / "comfyui-prime.log").stop()
    rows = []
    for i in range(args.runs):
        rows.append(one_run(args, workdir, i + 1))
        print("RESULT " + json.dumps(rows[-1]), flush=True)
    report(rows, args)


if __name__ == "__main__":
    main()
