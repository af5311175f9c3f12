"""The same model running the same prompt again reuses its text embeddings: the text encoder does not run."""

from __future__ import annotations

import numpy as np
import pytest

from hollywool.models.families import family_of
from tests.image.conftest import image_of, run

PROMPT = {"prompt": "a lighthouse at dusk", "negative_prompt": "blurry"}


def _loaded(client, model_id: str = "tiny-sd"):  # noqa: ANN202
    cached = client.app.state.studio.models.cache.peek(model_id)
    assert cached is not None, f"{model_id} is not loaded"
    return cached


def _prompts(client, model_id: str = "tiny-sd"):  # noqa: ANN202
    """The loaded model's prompt-embedding cache."""
    return _loaded(client, model_id).variants["prompts"]


def _count_text_encoder_calls(pipe) -> list[int]:  # noqa: ANN001
    calls = [0]
    pipe.text_encoder.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


def _direct_diffusers_image(folder, seed: int, steps: int) -> np.ndarray:  # noqa: ANN001
    """The same generation through diffusers alone, the prompt encoded by the pipeline itself."""
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(folder, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    out = pipe(
        **PROMPT,
        width=64,
        height=64,
        num_inference_steps=steps,
        guidance_scale=5.0,
        generator=torch.Generator("cpu").manual_seed(seed),
    )
    return np.asarray(out.images[0].convert("RGB"), dtype=np.int16)


def test_a_repeated_prompt_is_not_encoded_again_and_makes_the_same_image(client, tiny_model):
    run(client, **PROMPT, seed=1)
    calls = _count_text_encoder_calls(_loaded(client).pipe)

    # Same prompt and negative prompt, another seed and step count: no text encoder call.
    again = run(client, **PROMPT, seed=2, steps=3)
    assert calls[0] == 0
    made = np.asarray(image_of(client, again["images"][0]).convert("RGB"), dtype=np.int16)
    expected = _direct_diffusers_image(tiny_model("sd15"), seed=2, steps=3)
    assert np.abs(made - expected).max() <= 1  # pixel-identical but for rounding

    # Another prompt is encoded (the hook does count), and so is the same prompt with a style added.
    run(client, prompt="a red barn", seed=2)
    assert calls[0] > 0
    before = calls[0]
    run(client, **PROMPT, seed=3, style="cinematic")
    assert calls[0] > before


def test_the_cache_goes_with_the_model_and_loras_bypass_it(register_models, make_client, lora_dir):
    register_models({"tiny-sd": "sd15"})
    client = make_client(lora_dirs=(lora_dir,))
    run(client, **PROMPT, seed=1)
    assert len(_prompts(client)) == 1
    # A LoRA may change the text encoder (this one does): its job encodes the prompt itself.
    calls = _count_text_encoder_calls(_loaded(client).pipe)
    run(client, **PROMPT, seed=1, loras=[{"lora_id": "kohya-sd15", "weight": 1.0}])
    assert calls[0] > 0 and len(_prompts(client)) == 1
    # Unloading the model drops its embeddings: the reloaded model starts empty and encodes again.
    assert client.post("/api/models/tiny-sd/unload").status_code == 200
    run(client, **PROMPT, seed=1)
    assert _prompts(client).misses == 1


@pytest.mark.parametrize("family,model_type", [("sd15", "sd"), ("sdxl", "sdxl"), ("sd3", "sd3"), ("flux", "flux")])
def test_every_family_makes_the_same_image_from_cached_embeddings(tiny_model, family, model_type):
    import torch
    from diffusers import DiffusionPipeline

    from hollywool.engines.image.prompt_cache import PromptCache, with_embeddings

    pipe = DiffusionPipeline.from_pretrained(tiny_model(family), local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    call = {"prompt": "a fox", "width": 64, "height": 64, "num_inference_steps": 2, "guidance_scale": 5.0}
    if model_type != "flux":
        call["negative_prompt"] = "blurry"
    cache = PromptCache()
    family = family_of(model_type)
    embeddings = cache.embeddings(family, pipe, call)
    assert cache.embeddings(family, pipe, call) is embeddings and (cache.hits, cache.misses) == (1, 1)
    images = [
        np.asarray(pipe(**c, generator=torch.Generator("cpu").manual_seed(3)).images[0], dtype=np.int16)
        for c in (call, with_embeddings(call, embeddings))
    ]
    assert np.abs(images[0] - images[1]).max() <= 1


def test_a_model_keeps_only_its_most_recent_prompts(tiny_model):
    from diffusers import DiffusionPipeline

    from hollywool.engines.image.prompt_cache import PromptCache

    pipe = DiffusionPipeline.from_pretrained(tiny_model("sd15"), local_files_only=True)
    cache = PromptCache(max_entries=2)
    for prompt in ("one", "two", "one", "three"):  # "one" is used again, so "two" is the oldest
        cache.embeddings(family_of("sd"), pipe, {"prompt": prompt, "guidance_scale": 5.0})
    assert len(cache) == 2 and (cache.hits, cache.misses) == (1, 3)
    cache.embeddings(family_of("sd"), pipe, {"prompt": "one", "guidance_scale": 5.0})
    cache.embeddings(family_of("sd"), pipe, {"prompt": "two", "guidance_scale": 5.0})
    assert (cache.hits, cache.misses) == (2, 4)
