"""ControlNet jobs and control maps through the API with tiny models: an SDXL ControlNet Union job with a canny
map runs through the model manager like a user's model (different maps, different pictures), as do tiny Z-Image
and Qwen-Image ControlNets; canny finds an edge, tile keeps the size, a tiny Depth Anything makes a depth map
through the model manager, as do a tiny RT-DETR and ViTPose a pose map (OpenPose's colours); a ControlNet that
does not fit the model is refused naming the field."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image, ImageDraw

from tests.image.conftest import built_once, image_of, png_base64, run, wait_job

MODELS = {
    "tiny-sdxl": "sdxl",
    "tiny-zimage": "zimage",
    "tiny-qwen": "qwen_image",
    "tiny-flux": "flux",
    "tiny-sd": "sd15",
}


@pytest.fixture(scope="session")
def control_folders(models_root, tiny_model) -> dict[str, Path]:
    from hollywool.testkit import tiny_controlnets as kit

    root = Path(models_root) / "control"
    builds = {
        "union-sdxl": lambda f: kit.build_sdxl_union(tiny_model("sdxl"), f),
        "cn-zimage": kit.build_zimage_controlnet,
        "cn-qwen": lambda f: kit.build_qwen_controlnet(tiny_model("qwen_image"), f),
        "cn-flux": lambda f: kit.build_flux_controlnet(tiny_model("flux"), f),
        "depth": kit.build_depth_anything,
        "pose": kit.build_vitpose,
        "person-detector": kit.build_person_detector,
        "no-person-detector": lambda f: kit.build_person_detector(f, person_bias=-10.0),
    }
    return built_once(root, builds)


def control_entries(folders: dict[str, Path]) -> dict[str, dict]:
    return {
        "tiny-union-sdxl": {
            "name": "Tiny SDXL Union",
            "kind": "controlnet",
            "base": "sdxl",
            "path": str(folders["union-sdxl"]),
            "model_class": "ControlNetUnionModel",
            "modes": {"pose": 0, "depth": 1, "canny": 3, "tile": 6},
        },
        "tiny-cn-zimage": {
            "name": "Tiny Z-Image ControlNet",
            "kind": "controlnet",
            "base": "zimage",
            "path": str(folders["cn-zimage"]),
            "model_class": "ZImageControlNetModel",
            "modes": {"canny": None, "depth": None},
        },
        "tiny-cn-qwen": {
            "name": "Tiny Qwen-Image ControlNet",
            "kind": "controlnet",
            "base": "qwen-image",
            "path": str(folders["cn-qwen"]),
            "model_class": "QwenImageControlNetModel",
        },
        "tiny-cn-flux": {
            "name": "Tiny FLUX.1 ControlNet",
            "kind": "controlnet",
            "base": "flux",
            "path": str(folders["cn-flux"]),
            "model_class": "FluxControlNetModel",
        },
        "tiny-depth": {
            "name": "Tiny Depth Anything",
            "kind": "preprocessor",
            "produces": "depth",
            "path": str(folders["depth"]),
        },  # fmt: skip
        "tiny-pose": {
            "name": "Tiny ViTPose",
            "kind": "preprocessor",
            "produces": "pose",
            "detector": "tiny-person-detector",
            "path": str(folders["pose"]),
        },
        "tiny-person-detector": {"name": "Tiny RT-DETR", "kind": "detector", "path": str(folders["person-detector"])},
        "tiny-pose-blind": {  # its detector never finds a person
            "name": "Tiny ViTPose (blind detector)",
            "kind": "preprocessor",
            "produces": "pose",
            "detector": "tiny-no-person",
            "path": str(folders["pose"]),
        },
        "tiny-no-person": {
            "name": "Tiny RT-DETR (blind)",
            "kind": "detector",
            "path": str(folders["no-person-detector"]),
        },
    }


@pytest.fixture
def client(register_models, make_client, control_folders):
    config = register_models(MODELS)
    data = yaml.safe_load(config.read_text())
    data["control_models"] = control_entries(control_folders)  # as a user adds them in config.yaml
    config.write_text(yaml.safe_dump(data))
    return make_client()


def _shapes(size: int, box: tuple[int, int, int, int]) -> Image.Image:
    image = Image.new("RGB", (size, size), "black")
    ImageDraw.Draw(image).rectangle(box, fill="white")
    return image


def _generate(client, model: str, size: int, control_image: Image.Image, **control) -> dict:
    job = {k: control.pop(k) for k in ("reference_images", "strength", "mask") if k in control}
    return run(
        client,
        model=model,
        prompt="a house",
        width=size,
        height=size,
        seed=7,
        control=[{"image": {"image_base64": png_base64(control_image)}, **control}],
        **job,
    )


def _pixels(client, job: dict) -> np.ndarray:
    return np.asarray(image_of(client, job["images"][0]).convert("RGB"), dtype=np.int16)


def test_sdxl_union_job_with_a_canny_map_follows_the_map(client):
    first = _generate(client, "tiny-sdxl", 64, _shapes(64, (10, 10, 40, 50)), type="canny", preprocessor="canny")
    again = _generate(client, "tiny-sdxl", 64, _shapes(64, (10, 10, 40, 50)), type="canny", preprocessor="canny")
    other = _generate(client, "tiny-sdxl", 64, _shapes(64, (30, 5, 60, 30)), type="canny", preprocessor="canny")
    assert _pixels(client, first).shape == (64, 64, 3)
    assert (_pixels(client, first) == _pixels(client, again)).all(), "the same map and seed changed the picture"
    assert np.abs(_pixels(client, first) - _pixels(client, other)).mean() > 1, "the control map changed nothing"
    recorded = first["params"]["control"][0]
    assert recorded["model"] == "tiny-union-sdxl"  # the first ControlNet that fits SDXL, chosen at submit time
    assert (recorded["type"], recorded["preprocessor"]) == ("canny", "canny")
    assert recorded["image"]["upload_id"]
    parameters = image_of(client, first["images"][0]).info["parameters"]
    assert 'ControlNet 0: "Module: canny, Model: tiny-union-sdxl, Weight: 0.7, Threshold A: 100' in parameters


def test_sdxl_union_takes_several_control_images_at_once(client):
    canny = {"image": {"image_base64": png_base64(_shapes(64, (10, 10, 40, 50)))}, "type": "canny",
             "preprocessor": "canny"}  # fmt: skip
    tile = {"image": {"image_base64": png_base64(_shapes(64, (20, 20, 50, 60)))}, "type": "tile",
            "preprocessor": "tile", "scale": 0.5}  # fmt: skip
    job = run(client, model="tiny-sdxl", prompt="a house", width=64, height=64, seed=7, control=[canny, tile])
    assert [c["type"] for c in job["params"]["control"]] == ["canny", "tile"]
    assert any("one conditioning scale" in note for note in job["result"]["notes"])


@pytest.mark.parametrize("model", ["tiny-zimage", "tiny-qwen", "tiny-flux"])
def test_zimage_qwen_image_and_flux_controlnets_follow_the_map(client, model):
    first = _generate(client, model, 64, _shapes(64, (8, 8, 40, 56)), preprocessor="none")
    again = _generate(client, model, 64, _shapes(64, (8, 8, 40, 56)), preprocessor="none")
    other = _generate(client, model, 64, _shapes(64, (24, 4, 60, 28)), preprocessor="none")
    assert (_pixels(client, first) == _pixels(client, again)).all(), "the same map and seed changed the picture"
    # The tiny Qwen-Image VAE encodes two control images to close latents: the change is small but real.
    assert np.abs(_pixels(client, first) - _pixels(client, other)).mean() > 0.05, "the control map changed nothing"
    fits = {"tiny-zimage": "tiny-cn-zimage", "tiny-qwen": "tiny-cn-qwen", "tiny-flux": "tiny-cn-flux"}
    assert first["params"]["control"][0]["model"] == fits[model]


def test_a_controlnet_for_another_family_is_refused_naming_the_field(client):
    control = {"image": {"image_base64": png_base64(_shapes(64, (1, 1, 9, 9)))}, "model": "tiny-cn-zimage"}
    body = {"prompt": "a house", "model": "tiny-sdxl", "width": 64, "height": 64, "steps": 2, "control": [control]}
    resp = client.post("/api/jobs", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == "control.0.model"
    assert "tiny-union-sdxl" in resp.json()["detail"]  # says which one fits
    body["control"][0] |= {"model": "tiny-union-sdxl", "type": "scribble"}
    resp = client.post("/api/jobs", json=body)
    assert (resp.status_code, resp.json()["field"]) == (422, "control.0.type")
    body["control"][0] |= {"type": "canny", "preprocessor": "hed"}
    resp = client.post("/api/jobs", json=body)
    assert (resp.status_code, resp.json()["field"]) == (422, "control.0.preprocessor")
    body |= {"model": "tiny-sd"}
    body["control"][0] = {"image": body["control"][0]["image"]}
    resp = client.post("/api/jobs", json=body)  # SD 1.5 takes ControlNets, but none is installed for it
    assert (resp.status_code, resp.json()["field"]) == (422, "control.0.model")


def _preview(client, image: Image.Image, preprocessor: str, **extra) -> Image.Image:
    body = {"image": {"image_base64": png_base64(image)}, "preprocessor": preprocessor, **extra}
    resp = client.post("/api/control/preprocess", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(resp.content)).convert("RGB")


def test_canny_preview_finds_the_edge_of_a_square(client):
    edges = np.asarray(_preview(client, _shapes(96, (30, 20, 70, 60)).resize((128, 96)), "canny"))[:, :, 0]
    assert edges.shape == (96, 128)
    assert set(np.unique(edges)) == {0, 255}
    rows = np.nonzero(edges.max(axis=1))[0]
    assert 15 <= rows.min() <= 22 and 58 <= rows.max() <= 65, "the square's top and bottom edges"
    assert edges[40, 60] == 0 and edges[5, 5] == 0, "inside and outside the square are not edges"


def test_tile_preview_keeps_the_size_and_drops_the_detail(client):
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 256, (80, 120, 3), dtype=np.uint8))
    blurred = np.asarray(_preview(client, noisy, "tile", tile_factor=8), dtype=np.float32)
    assert blurred.shape == (80, 120, 3)
    assert blurred.std() < np.asarray(noisy, dtype=np.float32).std() / 3


def test_depth_preview_runs_the_depth_model_through_the_model_manager(client):
    depth = _preview(client, _shapes(64, (10, 10, 40, 50)).resize((90, 60)), "tiny-depth")
    values = np.asarray(depth)
    assert values.shape == (60, 90, 3)
    assert values.min() == 0 and values.max() == 255  # normalised: nearest white, farthest black


def test_control_models_list_controlnets_with_their_family_and_preprocessors(client):
    listed = client.get("/api/control/models").json()
    by_id = {m["id"]: m for m in listed["controlnets"]}
    assert by_id["tiny-union-sdxl"]["base"] == "sdxl" and by_id["tiny-union-sdxl"]["downloaded"]
    assert by_id["controlnet-union-sdxl-promax"]["repo"] == "xinsir/controlnet-union-sdxl-1.0"
    assert {"none", "canny", "tile", "tiny-depth", "depth-anything-v2-small"} <= {
        p["id"] for p in listed["preprocessors"]
    }


def test_a_depth_job_makes_its_map_with_the_depth_model(client):
    photo = _shapes(64, (10, 10, 40, 50))
    job = _generate(client, "tiny-sdxl", 64, photo, type="depth", preprocessor="tiny-depth")
    ready = _generate(client, "tiny-sdxl", 64, photo, type="depth", preprocessor="none")  # the photo as the map
    assert job["params"]["control"][0]["preprocessor"] == "tiny-depth"
    assert np.abs(_pixels(client, job) - _pixels(client, ready)).mean() > 1, "the depth map was not used"


def test_sdxl_union_steers_image_to_image_and_inpaint(client):
    source = Image.fromarray(np.random.default_rng(5).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    base = {"reference_images": [{"image_base64": png_base64(source)}], "strength": 1.0}
    for extra in ({}, {"mask": {"image_base64": png_base64(mask)}}):
        first = _generate(client, "tiny-sdxl", 64, _shapes(64, (10, 10, 40, 50)), preprocessor="canny", **base,
                          **extra)  # fmt: skip
        other = _generate(client, "tiny-sdxl", 64, _shapes(64, (30, 5, 60, 30)), preprocessor="canny", **base,
                          **extra)  # fmt: skip
        assert first["params"]["mode"] == ("inpaint" if extra else "generate")
        out, src = _pixels(client, first), np.asarray(source, dtype=np.int16)
        assert np.abs(out - _pixels(client, other)).mean() > 1, "the control map changed nothing"
        if extra:
            outside = np.asarray(mask) == 0
            assert (out[outside] == src[outside]).all(), "an inpaint with control changed a pixel outside the mask"


def _palette() -> set[tuple[int, int, int]]:
    from hollywool.engines.image.pose_maps import COLOURS, LIMBS, limb_colour

    return {(0, 0, 0), *COLOURS, *(limb_colour(i) for i in range(len(LIMBS)))}


def _photo(width: int, height: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(3).integers(0, 256, (height, width, 3), dtype=np.uint8))


def test_pose_preview_runs_the_detector_and_vitpose_through_the_model_manager(client):
    """Random weights put the keypoints anywhere: the map is checked for its size, its drawing (only OpenPose's
    colours on black, something drawn) and for being the same for the same photo."""
    first = _preview(client, _photo(90, 60), "tiny-pose")
    again = _preview(client, _photo(90, 60), "tiny-pose")
    values = np.asarray(first)
    assert values.shape == (60, 90, 3)
    colours = {tuple(int(v) for v in p) for p in values.reshape(-1, 3)}
    assert colours <= _palette(), "a pose map holds only black and OpenPose's keypoint and limb colours"
    assert len(colours) > 1, "no keypoint or limb was drawn"
    assert (values == np.asarray(again)).all(), "the same photo gave another pose map"


def test_pose_preview_without_a_person_says_so(client):
    resp = client.post(
        "/api/control/preprocess",
        json={"image": {"image_base64": png_base64(_photo(64, 64))}, "preprocessor": "tiny-pose-blind"},
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == "image"
    assert "found no person" in resp.json()["detail"] and "preprocessor 'none'" in resp.json()["detail"]


def test_a_pose_job_on_sdxl_union_makes_its_map_with_the_pose_models(client):
    photo = _photo(64, 64)
    job = _generate(client, "tiny-sdxl", 64, photo, type="pose", preprocessor="tiny-pose")
    ready = _generate(client, "tiny-sdxl", 64, photo, type="pose", preprocessor="none")  # the photo as the map
    assert (job["params"]["control"][0]["type"], job["params"]["control"][0]["preprocessor"]) == ("pose", "tiny-pose")
    assert np.abs(_pixels(client, job) - _pixels(client, ready)).mean() > 1, "the pose map was not used"
    blind = client.post(
        "/api/jobs",
        json={"prompt": "a dancer", "model": "tiny-sdxl", "width": 64, "height": 64, "steps": 2,
              "control": [{"image": {"image_base64": png_base64(photo)}, "type": "pose",
                           "preprocessor": "tiny-pose-blind"}]},
    )  # fmt: skip
    failed = wait_job(client, blind.json()["job_id"])
    assert failed["status"] == "failed" and "found no person" in failed["error"]


def test_pose_preprocessors_are_listed_and_their_detectors_are_not(client):
    listed = {p["id"]: p for p in client.get("/api/control/models").json()["preprocessors"]}
    assert listed["vitpose-base-simple"]["produces"] == "pose" and listed["vitpose-base-simple"]["model"]
    assert listed["tiny-pose"]["downloaded"] and not listed["vitpose-base-simple"]["downloaded"]
    assert listed["vitpose-base-simple"]["size_gb"] == 0.51  # ViTPose and its detector
    assert "rtdetr-r50vd-coco-o365" not in listed and "tiny-person-detector" not in listed


def test_a_job_fetches_a_missing_preprocessor_model_itself(client, hub, online, control_folders):
    hub.add_repo("depth-anything/Depth-Anything-V2-Small-hf", control_folders["depth"])  # the catalogue's repo
    photo = _shapes(64, (10, 10, 40, 50))
    job = _generate(client, "tiny-sdxl", 64, photo, type="depth", preprocessor="depth-anything-v2-small")
    local = _generate(client, "tiny-sdxl", 64, photo, type="depth", preprocessor="tiny-depth")  # the same weights
    assert (_pixels(client, job) == _pixels(client, local)).all()
    assert hub.bytes_served["model.safetensors"] == (control_folders["depth"] / "model.safetensors").stat().st_size
