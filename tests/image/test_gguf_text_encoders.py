"""Text encoders in GGUF files, as ComfyUI-GGUF users hold them (Qwen3-4B-Q8_0.gguf for Z-Image,
t5-v1_1-xxl-encoder-Q8_0.gguf for Chroma, Qwen2.5-VL-7B-Instruct-Q8_0.gguf for Qwen-Image, Mistral-Small-3.2 for
FLUX.2 [dev]: llama.cpp's tensor names,
written by the test with the `gguf` package, hollywool/testkit/gguf_files.py), pair with a diffusion-model file in a
models folder and make its image: the safetensors encoder's image exactly when the GGUF holds the same weights
unquantized (F32), within Q8_0's rounding when quantized."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.image.conftest import add_user_models, mean_abs_diff, pixels, run

# tiny family -> (module and writer of its split files, llama.cpp's architecture of its text encoder, ComfyUI-GGUF
# users' file name of that encoder, guidance)
CASES = {
    "zimage": ("original_layouts", "write_zimage_split_files", "qwen3", "Qwen3-4B", 0.0),
    "chroma": ("split_layouts", "write_chroma_split_files", "t5encoder", "t5-v1_1-xxl-encoder", 3.0),
    "qwen_image": ("split_layouts", "write_qwen_image_split_files", "qwen2vl", "Qwen2.5-VL-7B-Instruct", 1.0),
    # FLUX.2 [dev]'s Mistral Small 3.x: llama.cpp's `llama` architecture, its q and k rows permuted.
    "flux2": ("split_layouts", "write_flux2_dev_split_files", "llama", "Mistral-Small-3.2-24B-Instruct-2506", 4.0),
}
QUANTS = ("F32", "Q8_0")


@pytest.fixture(scope="module")
def gguf_encoders(tiny_model, tmp_path_factory):
    import importlib

    from hollywool.testkit.gguf_files import write_text_encoder_gguf

    made: dict[str, dict[str, Path]] = {}

    def get(family: str) -> dict[str, Path]:
        if family in made:
            return made[family]
        module, writer, arch, name, _guidance = CASES[family]
        root = tmp_path_factory.mktemp(f"comfy-{family}") / "models"
        model, text, vae = getattr(importlib.import_module(f"hollywool.testkit.{module}"), writer)(
            tiny_model(family), root
        )
        ggufs = {q: write_text_encoder_gguf(tiny_model(family), root / "text_encoders" / f"{name}-{q}.gguf", arch, q)
                 for q in QUANTS}  # fmt: skip
        made[family] = {"root": root, "model": model, "text": text, "vae": vae, **ggufs}
        return made[family]

    return get


@pytest.mark.parametrize("family", list(CASES))
def test_a_gguf_text_encoder_makes_the_image_of_its_safetensors_file(family, gguf_encoders, register_models,
                                                                     make_client, tiny_model):  # fmt: skip
    files = gguf_encoders(family)
    guidance = CASES[family][-1]
    config = register_models({})
    common = {"path": str(files["model"]), "vae": str(files["vae"]), "config": str(tiny_model(family)),
              "default_steps": 2, "default_guidance": guidance}  # fmt: skip
    add_user_models(
        config, {name: {"name": name, "text_encoders": [str(files[key])], **common}
                 for name, key in (("safetensors", "text"), ("gguf-f32", "F32"), ("gguf-q8", "Q8_0"))},
    )  # fmt: skip
    client = make_client()
    body = {"width": 64, "height": 64, "steps": 2, "guidance_scale": guidance}
    full = pixels(client, run(client, model="safetensors", seed=5, **body))
    other = mean_abs_diff(full, pixels(client, run(client, model="safetensors", seed=6, **body)))
    f32 = pixels(client, run(client, model="gguf-f32", seed=5, **body))
    assert f32 == full  # the same weights under llama.cpp's names: every one mapped back to its place
    q8 = mean_abs_diff(full, pixels(client, run(client, model="gguf-q8", seed=5, **body)))
    assert q8 < other / 10, (q8, other)  # rounded, not scrambled: far nearer than another seed

    cache = client.app.state.studio.models.cache
    models = ("safetensors", "gguf-f32", "gguf-q8")
    encoders = {name: cache.peek(name).pipe.text_encoder.state_dict() for name in models}
    if family == "chroma":  # T5's one embedding matrix in two places stays one parameter (a GPU held two copies)
        for name in models:
            t5 = cache.peek(name).pipe.text_encoder
            assert t5.encoder.embed_tokens.weight is t5.shared.weight, name
    # llama.cpp keeps Qwen2.5-VL's vision tower in another file (mmproj): text-to-image goes without it.
    vision = {k for k in encoders["safetensors"] if k.startswith("model.visual.")}
    assert (family == "qwen_image") == bool(vision)
    reference = {k: v for k, v in encoders["safetensors"].items() if k not in vision}
    assert set(encoders["gguf-f32"]) == set(encoders["gguf-q8"]) == set(reference)
    # The LM head prompts never use: ComfyUI's Qwen2.5-VL file leaves it out (tied to the embeddings then), the GGUF
    # carries the model's own (`output.weight`).
    reference = {k: v for k, v in reference.items() if not k.startswith("lm_head.")}
    assert [k for k, v in reference.items() if not torch.equal(encoders["gguf-f32"][k], v)] == []
    # Q8_0: the linear layers keep their blocks (diffusers' GGUF linears, dequantized as they run), as ComfyUI-GGUF
    # keeps them; the rest (embeddings, norms) is dequantized to the pipeline's dtype. Each weight within its block's
    # rounding (1/254 of the block's largest).
    from diffusers.quantizers.gguf.utils import GGUFLinear, GGUFParameter, dequantize_gguf_tensor

    q8_encoder = cache.peek("gguf-q8").pipe.text_encoder
    kept = {k for k, v in encoders["gguf-q8"].items() if isinstance(v, GGUFParameter)}
    linears = {f"{n}.weight" for n, m in q8_encoder.named_modules() if isinstance(m, GGUFLinear)}
    assert kept and kept == linears and {encoders["gguf-q8"][k].quant_type.name for k in kept} == {"Q8_0"}
    assert all(encoders["gguf-q8"][k].dtype == reference[k].dtype for k in reference if k not in kept)
    dequantized = {k: dequantize_gguf_tensor(v).to(reference[k].dtype) if k in kept else v
                   for k, v in encoders["gguf-q8"].items() if k in reference}  # fmt: skip
    rounded = [k for k, v in reference.items() if not torch.equal(dequantized[k], v)]
    assert rounded
    for key in rounded:
        error = (dequantized[key] - reference[key]).abs().max()
        # Plus the run dtype's own rounding of both (bf16 on a GPU; nothing in float32).
        assert error <= reference[key].abs().max() * (1 / 200 + torch.finfo(reference[key].dtype).eps), key

    # Its memory need counts what it holds once loaded: the blocks as stored, the rest in the pipeline's dtype.
    manager = client.app.state.studio.models
    [need] = [n for n in manager.needs(manager.catalog.get("gguf-q8")) if n.name == "text_encoder_1"]
    held = {p.data_ptr(): p for p in q8_encoder.parameters()}  # T5's tied embeddings once
    loaded = sum(p.numel() * p.element_size() for p in held.values())
    run_dtype = str(reference[next(iter(reference))].dtype).removeprefix("torch.")
    assert need.stored == "gguf" and need.bytes_at("native", run_dtype) == loaded
    # Q8_0 keeps 34 bytes per 32 weights: a quarter of what float32 took.
    assert sum(encoders["gguf-q8"][k].numel() for k in kept) == sum(reference[k].numel() for k in kept) * 34 // 32


@pytest.mark.parametrize("family", list(CASES))
def test_a_models_folder_pairs_the_diffusion_model_with_a_gguf_text_encoder(family, gguf_encoders):
    from hollywool.models.model_folders import scan
    from hollywool.models.split_files import read_file
    from hollywool.models.text_encoders import detect_kind

    files = gguf_encoders(family)
    safetensors_kind = detect_kind(read_file(files["text"]).shapes)
    for quant in QUANTS:  # the same kind and width as the safetensors file: it fills the same slot
        assert detect_kind(read_file(files[quant]).shapes) == safetensors_kind
    aside = files["text"].rename(files["root"].parent / files["text"].name)  # only the GGUF encoders beside the model
    try:
        found = {f.path: f for f in scan(files["root"].parent).files}
    finally:
        aside.rename(files["text"])
    diffusion = found[files["model"]]
    assert diffusion.problem is None and diffusion.text_encoders and diffusion.text_encoders[0].suffix == ".gguf"


def test_a_gguf_qwen_vl_file_for_an_edit_model_says_the_vision_tower_is_missing(gguf_encoders, tiny_model):
    """Qwen-Image-Edit shows its references to Qwen2.5-VL's vision tower, which llama.cpp's files leave out."""
    from hollywool.errors import InvalidInputError
    from hollywool.models.text_encoders import load_text_encoder

    files = gguf_encoders("qwen_image")
    config = tiny_model("qwen_image") / "text_encoder"
    with pytest.raises(InvalidInputError, match=r"mmproj file.*use the \.safetensors text encoder"):
        load_text_encoder(files["Q8_0"], "Qwen2_5_VLForConditionalGeneration", config, torch.float32, False)
    # Without the vision tower asked for (text-to-image), the same file loads.
    model = load_text_encoder(
        files["Q8_0"], "Qwen2_5_VLForConditionalGeneration", config, torch.float32, False, optional=("model.visual.",)
    )
    assert model.model.visual is None


@pytest.mark.parametrize(
    ("family", "model_class", "arch"),
    [("wan_5b", "UMT5EncoderModel", "t5encoder"), ("ltx2", "Gemma3ForConditionalGeneration", "gemma3")],
    ids=["umt5-xxl-encoder (Wan 2.2)", "gemma-3-12b-it (LTX-2)"],
)
def test_video_families_gguf_text_encoders_load_every_weight(family, model_class, arch, tiny_model, tmp_path):
    """UMT5 (a relative-attention bias in every block) and Gemma 3 (norms stored as 1 + w by llama.cpp): each weight
    of the GGUF file lands where the model's own folder has it."""
    import transformers

    from hollywool.models.split_files import read_file
    from hollywool.models.text_encoders import detect_kind, load_text_encoder
    from hollywool.testkit.gguf_files import write_text_encoder_gguf

    folder = tiny_model(family) / "text_encoder"
    path = write_text_encoder_gguf(tiny_model(family), tmp_path / f"{family}-F32.gguf", arch, "F32")
    assert detect_kind(read_file(path).shapes) == (("umt5" if family == "wan_5b" else "llm"), 32)
    vision = ("model.vision_tower.", "model.multi_modal_projector.") if family == "ltx2" else ()  # LTX-2's slot's
    loaded = load_text_encoder(path, model_class, folder, torch.float32, False, optional=vision)
    own = getattr(transformers, model_class).from_pretrained(folder).state_dict()
    state = loaded.state_dict()
    assert state and all(torch.equal(v, own[k]) for k, v in state.items() if not k.startswith("lm_head.")), [
        k for k, v in state.items() if not torch.equal(v, own[k])
    ]
