"""Prompt syntax: A1111 weights on the CLIP families (through compel), stripped elsewhere; wildcards and
alternatives resolved per image from its seed and recorded in each image's metadata."""

from __future__ import annotations

import json
import os

import pytest

from hollywool.engines.image.prompt_cache import PromptCache
from hollywool.engines.prompts import weights
from hollywool.engines.prompts.encoding import prompt_call
from hollywool.engines.prompts.wildcards import Wildcards
from hollywool.models.families import family_of
from tests.image.conftest import image_of, mean_abs_diff, pixels, run, wait_job

# More than CLIP's 77 tokens: the tiny tokenizer makes about one token per character.
LONG = "a photo of a cat sitting on a red chair, " * 4


def _pipe(client, model_id: str):  # noqa: ANN202
    cached = client.app.state.studio.models.cache.peek(model_id)
    assert cached is not None, f"{model_id} is not loaded"
    return cached.pipe


def _embeds(client, model_id: str, prompt: str, negative: str | None = None) -> dict:
    """The prompt's embeddings as an image job makes them (a fresh cache, so plain prompts are encoded too)."""
    entry = client.app.state.studio.models.catalog.get(model_id)
    call = {"prompt": prompt, "guidance_scale": 5.0, **({"negative_prompt": negative} if negative else {})}
    out = prompt_call(family_of(entry.type), _pipe(client, model_id), call, PromptCache())
    return {k: v for k, v in out.items() if k.endswith("_embeds")}


def _png_text(client, image: dict) -> dict[str, str]:
    return dict(image_of(client, image).text)  # type: ignore[attr-defined]


# -- weights ---------------------------------------------------------------------------------------
def test_a1111_weights_are_parsed_as_a1111_reads_them():
    assert weights.parse("(cat:1.5)") == [("cat", 1.5)]
    assert weights.parse("a (cat), [dog]") == [("a ", 1.0), ("cat", 1.1), (", ", 1.0), ("dog", 1 / 1.1)]
    assert weights.parse("((cat))") == [("cat", pytest.approx(1.21))]
    assert weights.parse("(a (b:2) c:0.5)") == [("a ", 0.5), ("b", 1.0), (" c", 0.5)]
    assert weights.parse(r"\(literal\) x") == [("(literal) x", 1.0)]
    assert weights.parse("a) stray] (open") == [("a) stray] ", 1.0), ("open", 1.1)]
    assert weights.without_weights("a (cat:1.3), [dog], time: 10:30") == "a cat, dog, time: 10:30"
    assert weights.is_plain(weights.parse("(cat:1.0)")) and not weights.is_plain(weights.parse("(cat)"))


@pytest.mark.parametrize("model", ["tiny-sd", "tiny-sdxl"])
def test_a_weight_changes_the_embeddings_and_the_image_and_weight_one_changes_nothing(image_client, model):
    plain = run(image_client, model=model, prompt="cat", seed=3)
    heavy = run(image_client, model=model, prompt="(cat:1.5)", seed=3)
    one = run(image_client, model=model, prompt="(cat:1.0)", seed=3)
    assert pixels(image_client, one) == pixels(image_client, plain)
    assert mean_abs_diff(pixels(image_client, heavy), pixels(image_client, plain)) > 0

    cat, cat15, cat10 = (_embeds(image_client, model, p) for p in ("cat", "(cat:1.5)", "(cat:1.0)"))
    for key in cat:  # SDXL: both encoders' sequence embeddings and the pooled ones
        assert cat10[key].equal(cat[key]), key
    assert not cat15["prompt_embeds"].equal(cat["prompt_embeds"])
    assert (cat15["prompt_embeds"] - cat["prompt_embeds"]).abs().max() > 1e-3
    if model == "tiny-sdxl":  # the pooled embedding has no per-token weights: the plain text's
        assert cat15["pooled_prompt_embeds"].equal(cat["pooled_prompt_embeds"])
        assert cat15["prompt_embeds"].shape[-1] == 96  # both text encoders (32 + 64)
    # A lower weight moves the other way.
    low = _embeds(image_client, model, "[cat]")["prompt_embeds"]
    assert not low.equal(cat["prompt_embeds"]) and not low.equal(cat15["prompt_embeds"])


@pytest.mark.parametrize("model", ["tiny-sd", "tiny-sdxl"])
def test_a_prompt_longer_than_77_tokens_is_encoded_whole(image_client, model):
    tokenizer = _pipe_after(image_client, model).tokenizer
    assert len(tokenizer(LONG, verbose=False).input_ids) > 77
    a = run(image_client, model=model, prompt=LONG + "dog", negative_prompt="(blurry:1.2)", seed=4)
    b = run(image_client, model=model, prompt=LONG + "moon", negative_prompt="(blurry:1.2)", seed=4)
    # The two prompts differ only after token 77: truncating would make the same image.
    assert mean_abs_diff(pixels(image_client, a), pixels(image_client, b)) > 0
    embeds = _embeds(image_client, model, LONG + "dog", "blurry")
    assert embeds["prompt_embeds"].shape[1] == 154  # two 77-token chunks
    assert embeds["negative_prompt_embeds"].shape == embeds["prompt_embeds"].shape  # padded to the same length


def _pipe_after(client, model: str):  # noqa: ANN202
    run(client, model=model, prompt="cat", seed=1)
    return _pipe(client, model)


def test_families_without_clip_weights_get_the_prompt_without_its_syntax(image_client):
    plain = run(image_client, model="tiny-flux", prompt="a cat on a chair", seed=5)
    weighted = run(image_client, model="tiny-flux", prompt="a (cat:1.4) on [a chair]", seed=5)
    assert pixels(image_client, weighted) == pixels(image_client, plain)
    # The A1111 text records the prompt as written.
    assert _png_text(image_client, weighted["images"][0])["parameters"].startswith("a (cat:1.4) on [a chair]")


def test_weighted_prompts_work_with_a_lora_that_changes_the_text_encoder(register_models, make_client, lora_dir):
    register_models({"tiny-sd": "sd15"})
    client = make_client(lora_dirs=(lora_dir,))
    lora = [{"lora_id": "kohya-sd15", "weight": 1.0}]
    plain = run(client, prompt="cat", seed=2, loras=lora)
    heavy = run(client, prompt="(cat:1.5)", seed=2, loras=lora)
    one = run(client, prompt="(cat:1.0)", seed=2, loras=lora)
    assert pixels(client, one) == pixels(client, plain)
    assert mean_abs_diff(pixels(client, heavy), pixels(client, plain)) > 0


# -- wildcards and alternatives --------------------------------------------------------------------
def test_alternatives_are_resolved_per_image_from_its_seed_and_recorded(client):
    template = "a {red|blue|green|golden} fox in (snow:1.2)"
    job = run(client, prompt=template, num_images=4, seed=11)
    chosen = job["params"]["resolved_prompts"]
    assert len(chosen) == 4 and len(set(chosen)) > 1
    assert all(c.startswith("a ") and c.endswith(" fox in (snow:1.2)") and "{" not in c for c in chosen)
    for image, prompt in zip(job["images"], chosen, strict=True):
        text = _png_text(client, image)
        recorded = json.loads(text["hollywool"])
        assert recorded["prompt"] == template and recorded["resolved_prompt"] == prompt
        assert text["parameters"].split("\n")[0] == prompt  # the A1111 text carries the resolved prompt
        asset = client.get(f"/api/assets/{image['id']}").json()
        assert asset["prompt"] == prompt
    # The same seed picks the same, image by image; the images match too.
    again = run(client, prompt=template, num_images=4, seed=11)
    assert again["params"]["resolved_prompts"] == chosen
    assert pixels(client, again, 2) == pixels(client, job, 2)
    # A prompt without the syntax stores nothing extra.
    assert run(client, prompt="a plain fox")["params"]["resolved_prompts"] is None


def test_a_wildcard_reads_its_file_in_the_wildcard_folder(client, studio_dirs):
    folder = studio_dirs["data_dir"] / "wildcards"
    (folder / "animals").mkdir(parents=True)
    (folder / "colors.txt").write_text("# one colour per line\n\ncrimson\n")
    (folder / "animals" / "big.txt").write_text("bear\nmoose\n")
    job = run(client, prompt="a __colors__ __animals/big__", num_images=2, seed=1)
    assert {p.rsplit(" ", 1)[0] for p in job["params"]["resolved_prompts"]} == {"a crimson"}
    assert all(p.split()[-1] in ("bear", "moose") for p in job["params"]["resolved_prompts"])
    # Edits apply to the next job.
    (folder / "colors.txt").write_text("teal\n")
    assert run(client, prompt="__colors__", seed=1)["params"]["resolved_prompts"] == ["teal"]


def test_text_that_dynamicprompts_reads_as_comments_or_commands_stays_text(tmp_path):
    (tmp_path / "tags.txt").write_text("best #1 // ever\n")
    wildcards = Wildcards(tmp_path)
    template = "color #ff0000, https://x.test/a /* b */ $5 100% {cat|cat} __tags__ (x:1.2) ${c=!{d|d}}${c}"
    assert (
        wildcards.resolve(template, [1, 2])
        == ["color #ff0000, https://x.test/a /* b */ $5 100% cat best #1 // ever (x:1.2) d"] * 2
    )
    assert wildcards.resolve("{2$$ and $$a|a}", [3]) == ["a and a"]


def test_the_wildcard_folder_is_a_setting(register_models, make_client, tmp_path):
    register_models({"tiny-sd": "sd15"})
    folder = tmp_path / "my-wildcards"
    folder.mkdir()
    (folder / "moods.txt").write_text("serene\n")
    client = make_client(wildcards_dir=folder)
    assert run(client, prompt="a __moods__ lake")["params"]["resolved_prompts"] == ["a serene lake"]


@pytest.mark.parametrize(
    ("prompt", "words"),
    [
        ("a __nowhere__ fox", "no wildcard file for __nowhere__"),
        ("__../../etc/passwd__", "refused"),
        ("__/etc/passwd__", "refused"),
        ("a {red|blue fox", "cannot read"),
        ("a ${undefined} fox", "cannot read"),
    ],
)
def test_a_missing_or_unsafe_wildcard_is_422_on_the_prompt(client, prompt, words):
    r = client.post("/api/jobs", json={"prompt": prompt, "model": "tiny-sd", "width": 64, "height": 64, "steps": 2})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "prompt" and words in r.json()["detail"], r.json()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_linked_file_in_the_wildcard_folder_is_not_read(client, studio_dirs, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("top secret\n")
    folder = studio_dirs["data_dir"] / "wildcards"
    folder.mkdir(parents=True)
    (folder / "secret.txt").symlink_to(outside)
    r = client.post("/api/jobs", json={"prompt": "__secret__", "model": "tiny-sd", "width": 64, "height": 64})
    assert r.status_code == 422 and "no wildcard file" in r.json()["detail"], r.text


def test_bulk_prompts_resolve_their_wildcards_per_prompt(client):
    body = {"model": "tiny-sd", "prompts": ["a {cat|dog}", "a {red|blue} car"], "width": 64, "height": 64, "steps": 2}
    r = client.post("/api/bulk/jobs", json={**body, "seed": 5})
    assert r.status_code == 201, r.text
    children = client.get("/api/jobs", params={"parent_id": r.json()["job_id"], "include_children": True}).json()
    resolved = {wait_job(client, c["id"])["params"]["resolved_prompts"][0] for c in children["items"]}
    assert len(resolved) == 2
    assert len(resolved & {"a blue car", "a red car"}) == 1 and len(resolved & {"a cat", "a dog"}) == 1


def test_a_missing_wildcard_in_a_bulk_prompt_refuses_the_batch(client):
    r = client.post("/api/bulk/jobs", json={"model": "tiny-sd", "prompts": ["a __nope__"], "width": 64, "height": 64})
    assert r.status_code == 422 and "__nope__" in r.text, r.text


def test_the_wildcard_folder_defaults_to_the_data_folder_and_follows_its_variable(monkeypatch, tmp_path):
    from hollywool.settings import Settings

    monkeypatch.delenv("HOLLYWOOL_WILDCARDS_DIR", raising=False)
    assert Settings.from_env(data_dir=tmp_path).wildcard_folder == tmp_path / "wildcards"
    monkeypatch.setenv("HOLLYWOOL_WILDCARDS_DIR", str(tmp_path / "mine"))
    assert Settings.from_env(data_dir=tmp_path).wildcard_folder == tmp_path / "mine"
