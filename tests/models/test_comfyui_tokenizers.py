"""Split files with the shipped config folders, whose tokenizers have no vocabulary: the studio copies it from the
ComfyUI install the files lie in (or beside a models folder the user named) into its own copy of the config folder,
never into the user's folders. A fake ComfyUI tree holds the tiny models' tokenizer files where ComfyUI keeps its
own (comfy/text_encoders/t5_tokenizer, qwen25_tokenizer; for Qwen3, a qwen25_tokenizer at Qwen's real size); the
studio's copy of the shipped folder is the tiny folder's JSON with the shipped tokenizer_config.json (the shipped
folders are full size)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from hollywool.testkit.studio_copies import studio_copy

SHIPPED = Path(__file__).resolve().parents[2] / "hollywool/catalog/configs"
QWEN3_CONFIGS = ("zimage", "flux2-klein-4b", "flux2-klein-9b", "flux2-klein-base-4b", "flux2-klein-base-9b")
PROMPT = "a red fox in the snow"


def _comfyui(root: Path, tokenizers: dict[str, Path]) -> Path:
    """A ComfyUI install at `root`: comfy/text_encoders/<name>/ holding the given tokenizer folders' files."""
    for name, source in tokenizers.items():
        shutil.copytree(source, root / "comfy" / "text_encoders" / name)
    return root


def _listing(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def _image(pipe, **kwargs) -> np.ndarray:
    import torch

    out = pipe(PROMPT, num_inference_steps=2, generator=torch.Generator().manual_seed(0), output_type="np", **kwargs)
    return np.asarray(out.images[0])


def test_chroma_takes_the_t5_tokenizer_from_the_comfyui_install_its_files_lie_in(tiny_model, tmp_path):
    import torch
    from diffusers import ChromaPipeline

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_chroma_split_files

    tiny = tiny_model("chroma")
    comfyui = _comfyui(tmp_path / "ComfyUI", {"t5_tokenizer": tiny / "tokenizer"})
    model, text, vae = write_chroma_split_files(tiny, comfyui / "models")
    config = studio_copy(tiny, tmp_path / "data" / "configs", "chroma")
    before = _listing(comfyui)

    pipe, _keys = load_files(ModelFiles(model, (text,), vae), "chroma", config.parent, torch.float32, keep_fp8=False)

    copied = {p.name for p in (config / "tokenizer").iterdir()}
    assert copied >= {p.name for p in (tiny / "tokenizer").iterdir()}, copied
    assert _listing(comfyui) == before  # nothing written into the user's install
    ref = ChromaPipeline.from_pretrained(tiny)
    assert pipe.tokenizer(PROMPT).input_ids == ref.tokenizer(PROMPT).input_ids
    assert pipe.tokenizer.model_max_length == 512  # the shipped tokenizer_config.json's settings are kept
    assert np.allclose(_image(pipe, height=64, width=64), _image(ref, height=64, width=64), atol=1e-4)


def test_qwen_image_takes_the_qwen_tokenizer_from_comfyui_beside_a_models_folder_the_user_named(tiny_model, tmp_path):
    import torch
    from diffusers import QwenImagePipeline

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_qwen_image_split_files

    tiny = tiny_model("qwen_image")
    comfyui = _comfyui(tmp_path / "ComfyUI", {"qwen25_tokenizer": tiny / "tokenizer"})
    (comfyui / "models").mkdir()
    # The files lie elsewhere (another drive): only the named models folder leads to the install.
    model, text, vae = write_qwen_image_split_files(tiny, tmp_path / "elsewhere")
    config = studio_copy(tiny, tmp_path / "data" / "configs", "qwen-image")

    pipe, _keys = load_files(
        ModelFiles(model, (text,), vae), "qwen-image", config.parent, torch.float32, keep_fp8=False,
        model_folders=(comfyui / "models",),
    )  # fmt: skip

    assert {p.name for p in (config / "tokenizer").iterdir()} >= {p.name for p in (tiny / "tokenizer").iterdir()}
    ref = QwenImagePipeline.from_pretrained(tiny)
    templated = "<|im_start|>user\n" + PROMPT + "<|im_end|>\n"
    assert pipe.tokenizer(templated).input_ids == ref.tokenizer(templated).input_ids
    assert _image(pipe, height=32, width=32).shape == (32, 32, 3)


def test_without_a_comfyui_install_the_refusal_names_both_ways_to_get_the_tokenizer(tiny_model, tmp_path):
    import torch

    from hollywool.errors import InvalidInputError
    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_chroma_split_files

    tiny = tiny_model("chroma")
    model, text, vae = write_chroma_split_files(tiny, tmp_path / "models")
    config = studio_copy(tiny, tmp_path / "data" / "configs", "chroma")
    with pytest.raises(InvalidInputError) as caught:
        load_files(ModelFiles(model, (text,), vae), "chroma", config.parent, torch.float32, keep_fp8=False,
                   model_folders=(tmp_path / "models",))  # fmt: skip
    message = caught.value.message
    assert "chroma/tokenizer has no tokenizer files" in message, message
    assert "add your ComfyUI folder (the one holding comfy/ and models/) as a models folder" in message, message
    assert "copy the model's `tokenizer` folder" in message, message
    assert message.count(". ") == 0, message  # one sentence


def test_a_config_folder_the_user_names_is_never_filled_from_comfyui(tiny_model, tmp_path):
    import torch

    from hollywool.errors import InvalidInputError
    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_chroma_split_files

    tiny = tiny_model("chroma")
    comfyui = _comfyui(tmp_path / "ComfyUI", {"t5_tokenizer": tiny / "tokenizer"})
    model, text, vae = write_chroma_split_files(tiny, comfyui / "models")
    users = studio_copy(tiny, tmp_path / "mine", "chroma")
    before = _listing(users)
    with pytest.raises(InvalidInputError) as caught:
        load_files(ModelFiles(model, (text,), vae, users), "chroma", tmp_path / "data" / "configs", torch.float32,
                   keep_fp8=False)  # fmt: skip
    assert "has no tokenizer files: copy the model's `tokenizer` folder" in caught.value.message, caught.value.message
    assert _listing(users) == before


def test_comfyui_folders_are_taken_only_for_the_models_whose_vocabulary_they_are(tmp_path):
    """Z-Image's and Klein's Qwen3 take Qwen2.5's vocabulary (their shipped tokenizer_config.json brings Qwen3's added
    tokens and template); ByT5 and UMT5 are not T5."""
    from hollywool.models.comfyui_tokenizers import comfyui_folder
    from hollywool.models.single_file import shipped_config

    configs = tmp_path / "configs"
    for qwen3 in QWEN3_CONFIGS:
        assert comfyui_folder(shipped_config(qwen3, configs), "tokenizer") == "qwen25_tokenizer", qwen3
    assert comfyui_folder(shipped_config("hunyuanvideo15-480p-i2v", configs), "tokenizer") == "qwen25_tokenizer"
    assert comfyui_folder(shipped_config("hunyuanvideo15-480p-i2v", configs), "tokenizer_2") is None  # ByT5
    assert comfyui_folder(shipped_config("wan2.2-ti2v-5b", configs), "tokenizer") is None  # UMT5, not T5
    assert comfyui_folder(shipped_config("flux1", configs), "tokenizer_2") == "t5_tokenizer"
    assert comfyui_folder(shipped_config("qwen-image-edit-2511", configs), "processor") == "qwen25_tokenizer"


def test_the_qwen3_configs_ship_one_tokenizer_config():
    """Z-Image and the four FLUX.2 [klein] folders prompt the same Qwen3 tokenizer: one file, five copies."""
    texts = {name: (SHIPPED / name / "tokenizer" / "tokenizer_config.json").read_bytes() for name in QWEN3_CONFIGS}
    assert len(set(texts.values())) == 1, sorted(texts)


@pytest.mark.parametrize("template_file", [False, True], ids=["comfyuis-files", "with-a-template-file"])
def test_comfyuis_qwen25_files_become_qwen3s_tokenizer_in_the_studios_copy(template_file, tmp_path):
    """ComfyUI's qwen25_tokenizer (the vocabulary at Qwen's real size, so the ids are Qwen's) merged under the shipped
    Qwen3 tokenizer_config.json: Qwen3's added tokens at their ids, none of Qwen2.5-VL's own, Qwen3's chat template
    (no system prompt; the empty think block when thinking is off), even when the folder carries a template file."""
    from transformers import Qwen2Tokenizer

    from hollywool.models.comfyui_tokenizers import tokenizers_from_comfyui
    from hollywool.models.single_file import shipped_config
    from hollywool.testkit.qwen_tokenizer import QWEN25_CHAT_TEMPLATE, write_comfyui_qwen25_folder, write_qwen_tokenizer

    source = write_comfyui_qwen25_folder(
        write_qwen_tokenizer(tmp_path / "kit"), tmp_path / "ComfyUI" / "comfy" / "text_encoders" / "qwen25_tokenizer"
    )
    if template_file:
        (source / "chat_template.jinja").write_text(QWEN25_CHAT_TEMPLATE, encoding="utf-8")
    lone_user = [{"role": "user", "content": "a cat"}]
    comfyuis = Qwen2Tokenizer.from_pretrained(source)  # the fake is ComfyUI's: Qwen2.5-VL's tokens and template
    assert comfyuis.convert_tokens_to_ids(["<|img|>", "<|endofmeta|>"]) == [151665, 151668]
    assert comfyuis.apply_chat_template(lone_user, tokenize=False).startswith("<|im_start|>system\nYou are")

    folder = shipped_config("zimage", tmp_path / "configs")
    assert tokenizers_from_comfyui(folder, [tmp_path / "ComfyUI"]) == ["tokenizer"]
    tokenizer = Qwen2Tokenizer.from_pretrained(folder / "tokenizer")

    assert tokenizer.convert_tokens_to_ids(["<think>", "</think>", "<|im_end|>", "<tool_response>"]) == [
        151667, 151668, 151645, 151665
    ]  # fmt: skip
    think = tokenizer("<think>\n\n</think>").input_ids
    assert (think[0], think[-1]) == (151667, 151668)  # one token each, as in Qwen3
    assert len(tokenizer) == 151669 and "<|img|>" not in tokenizer.get_vocab()
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id) == (151643, 151645)
    render = lambda thinking: tokenizer.apply_chat_template(  # noqa: E731
        lone_user, tokenize=False, add_generation_prompt=True, enable_thinking=thinking
    )
    assert render(False) == "<|im_start|>user\na cat<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"  # klein
    assert render(True) == "<|im_start|>user\na cat<|im_end|>\n<|im_start|>assistant\n"  # Z-Image
    turns = [{"role": "system", "content": "Be brief."}, *lone_user, {"role": "assistant", "content": "A cat."}]
    assert tokenizer.apply_chat_template(turns, tokenize=False) == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\na cat<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n\n</think>\n\nA cat.<|im_end|>\n"
    )


def _wide_qwen3_encoder(text: Path, kit_tokenizer: Path, vocab_size: int) -> None:
    """Rewrite a kit Qwen3 text-encoder file for Qwen's real ids: the BPE rows stay, each added token's row moves to
    the id the shipped Qwen3 tokenizer_config.json gives it, so the encoder reads the same vectors as the kit's."""
    import json

    import torch
    from safetensors.torch import load_file, save_file

    from hollywool.testkit.qwen_tokenizer import kit_bpe, load_qwen_tokenizer

    state = load_file(text)
    rows = state["model.embed_tokens.weight"]
    kit = load_qwen_tokenizer(kit_tokenizer)
    shipped = json.loads((SHIPPED / "zimage" / "tokenizer" / "tokenizer_config.json").read_text())
    real = {token["content"]: int(i) for i, token in shipped["added_tokens_decoder"].items()}
    wide = torch.zeros(vocab_size, rows.shape[1], dtype=rows.dtype)
    bpe = len(kit_bpe(kit_tokenizer)[0])
    wide[:bpe] = rows[:bpe]
    for token, kit_id in kit.added_tokens_encoder.items():
        wide[real[token]] = rows[kit_id]
    state["model.embed_tokens.weight"] = wide
    save_file(state, text)


def test_zimage_split_files_with_comfyuis_qwen_files_make_the_folders_image(register_models, make_client, studio_dirs,
                                                                            tiny_model, tmp_path):  # fmt: skip
    """Through the API, as a user's Z-Image split files load: the studio's copy of the shipped zimage folder takes
    ComfyUI's qwen25_tokenizer (at Qwen's real size and ids) and Qwen3's settings, and the split model, whose text
    encoder reads the kit's vectors at those ids, makes the tiny folder's image."""
    import json

    from transformers import Qwen2Tokenizer

    from hollywool.testkit.original_layouts import write_zimage_split_files
    from hollywool.testkit.qwen_tokenizer import write_comfyui_qwen25_folder
    from tests.image.conftest import add_user_models, mean_abs_diff, pixels, run

    tiny = tiny_model("zimage")
    comfyui = tmp_path / "ComfyUI"
    write_comfyui_qwen25_folder(tiny / "tokenizer", comfyui / "comfy" / "text_encoders" / "qwen25_tokenizer")
    model, text, vae = write_zimage_split_files(tiny, comfyui / "models")
    _wide_qwen3_encoder(text, tiny / "tokenizer", 151936)
    config = studio_copy(tiny, studio_dirs["data_dir"] / "configs", "zimage")
    encoder = json.loads((config / "text_encoder" / "config.json").read_text())
    encoder.update(vocab_size=151936, pad_token_id=151643, eos_token_id=151645)  # Qwen3-4B's
    (config / "text_encoder" / "config.json").write_text(json.dumps(encoder))
    add_user_models(register_models({"tiny-zimage": "zimage"}), {"split-zimage": {
        "name": "Split Z-Image", "path": str(model), "text_encoders": [str(text)], "vae": str(vae),
        "default_steps": 2, "default_guidance": 0.0}})  # fmt: skip
    client = make_client()

    body = {"prompt": PROMPT, "width": 64, "height": 64, "seed": 5, "steps": 2, "guidance_scale": 0.0}
    split = run(client, model="split-zimage", **body)
    folder = run(client, model="tiny-zimage", **body)
    other = run(client, model="tiny-zimage", **{**body, "prompt": "a blue boat on a lake"})

    tokenizer = Qwen2Tokenizer.from_pretrained(config / "tokenizer")
    assert tokenizer.convert_tokens_to_ids("<think>") == 151667 and (config / "tokenizer" / "vocab.json").is_file()
    prompt_effect = mean_abs_diff(pixels(client, other), pixels(client, folder))
    assert mean_abs_diff(pixels(client, split), pixels(client, folder)) < min(0.5, prompt_effect / 4), prompt_effect


def test_wan_5b_takes_the_umt5_tokenizer_from_comfyuis_text_encoder_file(tiny_model, tmp_path):
    """ComfyUI ships no UMT5 vocabulary in its source tree: its umt5_xxl files carry the sentencepiece model
    (`spiece_model`), which the studio writes into its copy of the shipped wan2.2-ti2v-5b folder."""
    import torch
    from diffusers import WanPipeline

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_wan22_split_files

    tiny = tiny_model("wan_5b")
    model, text, vae = write_wan22_split_files(tiny, tmp_path / "ComfyUI" / "models", tokenizer=True)
    config = studio_copy(tiny, tmp_path / "data" / "configs", "wan2.2-ti2v-5b")

    pipe, _keys = load_files(ModelFiles(model, (text,), vae), "wan", config.parent, torch.float32, keep_fp8=False)

    assert (config / "tokenizer" / "spiece.model").is_file()
    ref = WanPipeline.from_pretrained(tiny)
    assert pipe.tokenizer(PROMPT).input_ids == ref.tokenizer(PROMPT).input_ids
    call = {"prompt": PROMPT, "height": 32, "width": 32, "num_frames": 9, "num_inference_steps": 2,
            "output_type": "latent"}  # fmt: skip
    latents = [p(generator=torch.Generator().manual_seed(7), return_dict=False, **call)[0] for p in (pipe, ref)]
    assert torch.equal(latents[0], latents[1])


def test_wan_5b_rebuilds_the_umt5_tokenizer_from_a_gguf_text_encoders_metadata(tiny_model, tmp_path):
    """ComfyUI-GGUF users hold umt5-xxl-encoder-Q8_0.gguf and no .safetensors encoder: llama.cpp's metadata holds the
    sentencepiece vocabulary (pieces, scores, types), which transformers' GGUF conversion rebuilds into the studio's
    copy of the shipped folder. An F32 file: the folder's own ids and latents, exactly. A file without the metadata
    still gets the sentence saying where a tokenizer comes from."""
    import torch
    from diffusers import WanPipeline

    from hollywool.errors import InvalidInputError
    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.gguf_files import write_text_encoder_gguf
    from hollywool.testkit.split_layouts import write_wan22_split_files

    tiny = tiny_model("wan_5b")
    models = tmp_path / "ComfyUI" / "models"
    model, _text, vae = write_wan22_split_files(tiny, models)  # its UMT5 .safetensors is not used
    gguf = write_text_encoder_gguf(tiny, models / "text_encoders" / "umt5-xxl-encoder-F32.gguf", "t5encoder", "F32",
                                   tokenizer=True)  # fmt: skip
    config = studio_copy(tiny, tmp_path / "data" / "configs", "wan2.2-ti2v-5b")

    pipe, _keys = load_files(ModelFiles(model, (gguf,), vae), "wan", config.parent, torch.float32, keep_fp8=False)

    assert {p.name for p in (config / "tokenizer").iterdir()} == {"tokenizer.json", "tokenizer_config.json"}
    ref = WanPipeline.from_pretrained(tiny)
    for prompt in (PROMPT, "A Robot, dancing!  in the rain 2024", "zebra qüx"):
        assert pipe.tokenizer(prompt).input_ids == ref.tokenizer(prompt).input_ids, prompt
    call = {"prompt": PROMPT, "height": 32, "width": 32, "num_frames": 9, "num_inference_steps": 2,
            "output_type": "latent"}  # fmt: skip
    latents = [p(generator=torch.Generator().manual_seed(7), return_dict=False, **call)[0] for p in (pipe, ref)]
    assert torch.equal(latents[0], latents[1])

    bare = write_text_encoder_gguf(tiny, tmp_path / "bare" / "umt5-xxl-encoder-Q8_0.gguf", "t5encoder")
    other = studio_copy(tiny, tmp_path / "data2" / "configs", "wan2.2-ti2v-5b")
    with pytest.raises(InvalidInputError, match="no tokenizer files.*a UMT5 / T5 GGUF file carries it"):
        load_files(ModelFiles(model, (bare,), vae), "wan", other.parent, torch.float32, keep_fp8=False)


def test_hunyuanvideo15_takes_the_qwen_tokenizer_from_comfyui_and_makes_the_folders_latents(tiny_model, tmp_path):
    import diffusers
    import torch

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_hunyuanvideo15_split_files

    tiny = tiny_model("hunyuanvideo15")
    comfyui = _comfyui(tmp_path / "ComfyUI", {"qwen25_tokenizer": tiny / "tokenizer"})
    model, encoders, vae = write_hunyuanvideo15_split_files(tiny, comfyui / "models", name="hunyuanvideo1.5_720p_t2v")
    config = studio_copy(tiny, tmp_path / "data" / "configs", "hunyuanvideo15-720p-t2v", empty=("tokenizer",))

    pipe, _keys = load_files(
        ModelFiles(model, encoders, vae), "hunyuanvideo15", config.parent, torch.float32, keep_fp8=False
    )

    ref = diffusers.HunyuanVideo15Pipeline.from_pretrained(tiny)
    call: dict = {"prompt": PROMPT, "num_frames": 5, "num_inference_steps": 2, "output_type": "latent", "height": 32,
                  "width": 32}  # fmt: skip
    latents = [p(generator=torch.Generator().manual_seed(7), return_dict=False, **call)[0] for p in (pipe, ref)]
    assert torch.equal(latents[0], latents[1])


def test_a_job_finds_comfyui_beside_the_models_folder_the_user_named(register_models, make_client, studio_dirs,
                                                                     tiny_model, tmp_path):  # fmt: skip
    """Through the API: the files lie elsewhere; the models folder in the settings leads to the install."""
    from hollywool.testkit.split_layouts import write_chroma_split_files
    from tests.image.conftest import add_user_models, run

    tiny = tiny_model("chroma")
    comfyui = _comfyui(tmp_path / "ComfyUI", {"t5_tokenizer": tiny / "tokenizer"})
    (comfyui / "models" / "checkpoints").mkdir(parents=True)
    model, text, vae = write_chroma_split_files(tiny, tmp_path / "elsewhere")
    config = studio_copy(tiny, studio_dirs["data_dir"] / "configs", "chroma")
    add_user_models(register_models({}), {"split": {"name": "Split", "path": str(model), "text_encoders": [str(text)],
                                                    "vae": str(vae), "default_steps": 2}})  # fmt: skip
    client = make_client(model_folders=(comfyui / "models",))
    job = run(client, model="split", width=64, height=64, seed=5, steps=2, guidance_scale=3.0)
    assert len(job["images"]) == 1
    assert {p.name for p in (config / "tokenizer").iterdir()} >= {p.name for p in (tiny / "tokenizer").iterdir()}


@pytest.mark.parametrize("config", ["qwen-image-edit-2509", "qwen-image-edit-2511"])
def test_the_shipped_edit_processor_loads_once_comfyuis_files_are_in(config, tiny_model, tmp_path):
    """transformers loads a Qwen2VLProcessor only with a video processor config: the shipped one names it."""
    from transformers import Qwen2VLProcessor

    from hollywool.models.comfyui_tokenizers import tokenizers_from_comfyui
    from hollywool.models.single_file import shipped_config

    tiny = tiny_model("qwen_image_edit")
    comfyui = _comfyui(tmp_path / "ComfyUI", {"qwen25_tokenizer": tiny / "tokenizer"})
    folder = shipped_config(config, tmp_path / "configs")
    assert tokenizers_from_comfyui(folder, [comfyui]) == ["processor", "tokenizer"]
    processor = Qwen2VLProcessor.from_pretrained(folder / "processor")
    assert processor.image_processor.size["longest_edge"] == 12_845_056  # the shipped settings
    assert processor.tokenizer("<|vision_start|>").input_ids == [
        processor.tokenizer.convert_tokens_to_ids("<|vision_start|>")
    ]
