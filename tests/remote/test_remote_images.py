"""Image-to-image and image-to-video on remote models, with the same `reference_images` as local ones.

fal and KREA take the image inline as a data: URI in the model's image field; Higgsfield takes the
public URL of an upload made first (generate-upload-url, then PUT to the signed URL).
"""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tests.fakes.fal_catalog import image_input_models
from tests.remote.fixtures import wait_job

FAL_I2I = "fal:fal-ai/flux/dev/image-to-image"
FAL_I2V = "fal:fal-ai/kling-video/v2/master/image-to-video"
HF_I2V = "higgsfield:kling-video/v2.1/pro/image-to-video"
SECRET_PROMPT = "the prompt that made the source image"


@pytest.fixture
def client(remote_client, fal):
    for model in image_input_models():
        fal.add_model(model)
    assert remote_client.post("/api/providers/fal/discover").status_code == 200
    assert remote_client.post("/api/providers/krea/discover").status_code == 200
    return remote_client


def _b64(image: Image.Image, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return base64.b64encode(buf.getvalue()).decode()


def _asset(client, color: str, size=(24, 16)) -> str:
    studio = client.app.state.studio
    image = Image.new("RGB", size, color)
    return studio.assets.save_image(image, params={"prompt": SECRET_PROMPT}, prompt=SECRET_PROMPT).id


def _pixels(data: bytes) -> tuple:
    with Image.open(io.BytesIO(data)) as image:
        return image.size, image.convert("RGB").getpixel((0, 0))


def _data_uri_bytes(uri: str) -> bytes:
    header, _, payload = uri.partition(",")
    assert header == "data:image/png;base64"
    return base64.b64decode(payload)


def test_fal_image_to_image_from_an_existing_asset(client, fal):
    asset_id = _asset(client, "teal")
    r = client.post(
        "/api/jobs",
        json={
            "model": FAL_I2I,
            "prompt": "the same scene in winter",
            "width": 512,
            "height": 512,
            "strength": 0.6,
            "reference_images": [{"image_asset_id": asset_id}],
        },
    )
    assert r.status_code == 201, r.text
    assert "image_url <- reference_images.0" in r.json()["message"]
    job = wait_job(client, r.json()["job_id"])
    assert job["status"] == "completed", job["error"]
    endpoint, body = fal.submissions[-1]
    assert endpoint == "fal-ai/flux/dev/image-to-image"
    assert body["strength"] == 0.6 and body["image_size"] == {"width": 512, "height": 512}
    sent = _data_uri_bytes(body["image_url"])
    assert [(f, c) for f, _, c in fal.input_images] == [("image_url", "image/png")]
    assert _pixels(sent) == ((24, 16), (0, 128, 128))
    assert SECRET_PROMPT.encode() not in sent, "only pixels leave: no PNG text chunks with the source's prompt"
    # the job and its asset record which image went where, without the image itself
    params = client.get(f"/api/jobs/{job['id']}").json()["params"]
    assert params["reference_images"] == [{"image_asset_id": asset_id, "image_base64": None, "upload_id": None}]
    assert params["notes"] == ["reference_images: 1 of 1 used (image_url <- reference_images.0)"]
    asset = client.get(f"/api/assets/{job['images'][0]['id']}").json()
    assert asset["params"]["provider_body"]["image_url"] == "<reference_images.0>"
    assert asset["params"]["reference_images"] == [{"image_asset_id": asset_id}]


def test_higgsfield_image_to_video_uploads_first_then_sends_the_public_url(client, higgsfield):
    red, blue = _b64(Image.new("RGB", (20, 12), "red")), _b64(Image.new("RGB", (20, 12), "blue"))
    r = client.post(
        "/api/i2v/jobs",
        json={
            "model": HF_I2V,
            "prompt": "the camera slowly pushes in",
            "duration": 5,
            "reference_images": [{"image_base64": red}, {"image_base64": f"data:image/png;base64,{blue}"}],
        },
    )
    assert r.status_code == 201, r.text
    message = r.json()["message"]
    assert "1 of 2 used (image_url <- reference_images.0)" in message and "reference_images.1 were not used" in message
    job = wait_job(client, r.json()["job_id"])
    assert job["status"] == "completed", job["error"]
    assert job["kind"] == "remote" and job["lane"] == "net:higgsfield" and len(job["videos"]) == 1
    # one upload, of the first image only, with the content type asked for and no API key
    assert len(higgsfield.uploads) == 1
    [(upload_id, data)] = higgsfield.uploads.items()
    assert _pixels(data) == ((20, 12), (255, 0, 0))
    headers = higgsfield.upload_requests[upload_id]
    assert headers["content-type"] == "image/png" and "authorization" not in headers
    grant = higgsfield.requests_to("/files/generate-upload-url", "POST")
    assert len(grant) == 1
    model_id, body = higgsfield.submissions[-1]
    assert model_id == "kling-video/v2.1/pro/image-to-video"
    assert body == {
        "prompt": "the camera slowly pushes in",
        "image_url": f"{higgsfield.url}/public/uploads/{upload_id}",
        "duration": 5,
    }


def test_a_reattached_request_is_not_uploaded_or_submitted_again(client, higgsfield):
    higgsfield.fail_next(50, 503, path_prefix="/public/")  # the result file cannot be fetched
    job_id = client.post(
        "/api/i2v/jobs",
        json={
            "model": HF_I2V,
            "prompt": "waves",
            "reference_images": [{"image_base64": _b64(Image.new("RGB", (8, 8)))}],
        },
    ).json()["job_id"]
    job = wait_job(client, job_id)
    assert job["status"] == "failed" and "retry the job to fetch it again" in job["error"]
    higgsfield.faults.clear()
    assert client.post(f"/api/jobs/{job_id}/retry").status_code == 200
    job = wait_job(client, job_id)
    assert job["status"] == "completed", job["error"]
    assert len(higgsfield.submissions) == 1 and len(higgsfield.uploads) == 1


def test_krea_image_to_image_sends_a_data_uri_and_strength(client, krea):
    jpeg = _b64(Image.new("RGB", (32, 32), "yellow"), "JPEG")
    r = client.post(
        "/api/jobs",
        json={
            "model": "krea:bfl/flux-1-dev",
            "prompt": "a watercolour version",
            "width": 512,
            "height": 512,
            "strength": 0.5,
            "reference_images": [{"image_base64": jpeg}],
        },
    )
    assert r.status_code == 201, r.text
    job = wait_job(client, r.json()["job_id"])
    assert job["status"] == "completed", job["error"]
    path, body = krea.submissions[-1]
    assert path == "/generate/image/bfl/flux-1-dev"
    assert set(body) == {"prompt", "width", "height", "image_url", "strength"} and body["strength"] == 0.5
    size, color = _pixels(_data_uri_bytes(body["image_url"]))
    assert size == (32, 32) and all(abs(a - b) < 8 for a, b in zip(color, (255, 255, 0), strict=True))
    assert [f for f, _, _ in krea.input_images] == ["image_url"]


def test_remote_image_to_video_through_the_video_route_fills_first_and_last_frame(client, fal):
    first, last = _asset(client, "white"), _asset(client, "black")
    r = client.post(
        "/api/video/jobs",
        json={
            "model": FAL_I2V,
            "prompt": "day turns to night",
            "duration": 5,
            "reference_images": [{"image_asset_id": first}, {"image_asset_id": last}],
        },
    )
    assert r.status_code == 201, r.text
    job = wait_job(client, r.json()["job_id"])
    assert job["status"] == "completed", job["error"]
    assert len(job["videos"]) == 1
    endpoint, body = fal.submissions[-1]
    assert endpoint == "fal-ai/kling-video/v2/master/image-to-video" and body["duration"] == "5"
    assert _pixels(_data_uri_bytes(body["image_url"]))[1] == (255, 255, 255)
    assert _pixels(_data_uri_bytes(body["tail_image_url"]))[1] == (0, 0, 0)
    assert job["params"]["notes"] == [
        "reference_images: 2 of 2 used (image_url <- reference_images.0, tail_image_url <- reference_images.1)"
    ]
    # the model list says how many images each remote model takes
    models = {m["id"]: m for m in client.get("/api/models", params={"kind": "video"}).json()["models"]}
    assert models[FAL_I2V]["max_reference_images"] == 2
    assert models["fal:fal-ai/kling-video/v2/master/text-to-video"]["max_reference_images"] == 0


def test_a_bad_reference_is_refused_naming_reference_images(client, fal, higgsfield):
    cases = [
        ("/api/jobs", FAL_I2I, {"image_base64": "%%% not base64 %%%"}, "not valid base64"),
        ("/api/jobs", FAL_I2I, {"image_base64": base64.b64encode(b"no pixels here").decode()}, "not a readable image"),
        ("/api/jobs", FAL_I2I, {"image_asset_id": "no-such-asset"}, "no image asset"),
        ("/api/i2v/jobs", HF_I2V, {"image_base64": "%%% not base64 %%%"}, "not valid base64"),
    ]
    for route, model, ref, words in cases:
        r = client.post(route, json={"model": model, "prompt": "x", "reference_images": [ref]})
        assert r.status_code == 422, (route, ref, r.text)
        assert r.json()["field"] == "reference_images.0" and words in r.json()["detail"], r.json()
    r = client.post("/api/jobs", json={"model": FAL_I2I, "prompt": "x", "reference_images": [{}]})
    assert r.status_code == 422 and "reference_images" in r.text
    assert fal.submissions == [] and higgsfield.submissions == [] and higgsfield.uploads == {}


def test_a_model_without_an_image_input_says_so(client, fal, krea, higgsfield):
    ref = [{"image_base64": _b64(Image.new("RGB", (8, 8)))}]
    for route, model in (
        ("/api/jobs", "fal:fal-ai/flux/schnell"),
        ("/api/jobs", "higgsfield:higgsfield-ai/soul/standard"),
        ("/api/video/jobs", "fal:fal-ai/kling-video/v2/master/text-to-video"),
    ):
        r = client.post(route, json={"model": model, "prompt": "x", "reference_images": ref})
        assert r.status_code == 422, (model, r.text)
        assert r.json()["field"] == "reference_images" and "takes no input image" in r.json()["detail"], r.json()
    # the image given twice, and a local text-to-video model given images
    r = client.post(
        "/api/jobs",
        json={
            "model": FAL_I2I,
            "prompt": "x",
            "reference_images": ref,
            "provider_params": {"image_url": "https://x/y.png"},
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "provider_params.image_url"
    r = client.post("/api/video/jobs", json={"model": "some-local-video-model", "prompt": "x", "reference_images": ref})
    assert r.status_code == 422 and "/api/i2v/jobs" in r.json()["detail"]
    assert fal.submissions == [] and krea.submissions == [] and higgsfield.submissions == []
