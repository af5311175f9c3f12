"""FLUX.2 [dev] split files with the shipped config folder, whose tokenizer has no vocabulary: ComfyUI's Mistral
text-encoder file carries Mistral's tekken.json (`tekken_model`), which the studio converts into a Pixtral processor
folder in its own copy of the shipped folder. The tiny files embed a tekken.json made from the tiny folder's BPE
(hollywool/testkit/tekken.py); the studio's copy is the tiny folder's JSON with the shipped tokenizer_config.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from hollywool.testkit.studio_copies import studio_copy

SHIPPED = Path(__file__).resolve().parents[2] / "hollywool/catalog/configs/flux2-dev"
PROMPTS = ["a red fox in the snow", "A Robot, dancing!  in the rain at night 2024", "zebra qüx 😀"]


def _listing(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def dev_files(tiny_model, tmp_path_factory):
    from hollywool.testkit.split_layouts import write_flux2_dev_split_files

    root = tmp_path_factory.mktemp("comfy-flux2-dev") / "models"
    return write_flux2_dev_split_files(tiny_model("flux2"), root, tokenizer=True)


def test_flux2_dev_takes_its_mistral_tokenizer_from_comfyuis_text_encoder_file(tiny_model, dev_files, tmp_path):
    import torch
    from diffusers import Flux2Pipeline
    from diffusers.pipelines.flux2.pipeline_flux2 import format_input
    from diffusers.pipelines.flux2.system_messages import SYSTEM_MESSAGE
    from safetensors import safe_open
    from transformers import PixtralProcessor
    from transformers.integrations.mistral.tokenizer import convert_tekken_tokenizer

    from hollywool.models.split_files import ModelFiles, load_files

    tiny = tiny_model("flux2")
    model, text, vae = dev_files
    config = studio_copy(tiny, tmp_path / "data" / "configs", "flux2-dev")

    pipe, _keys = load_files(ModelFiles(model, (text,), vae), "flux2", config.parent, torch.float32, keep_fp8=False)

    written = {p.name for p in (config / "tokenizer").iterdir()}
    assert {"tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "processor_config.json"} <= written
    assert "tekken.json" not in written  # with mistral_common installed, transformers would take it over the rest
    assert not [p for p in config.iterdir() if p.name.startswith(".tokenizer")]  # no staging left beside it
    assert isinstance(pipe.tokenizer, PixtralProcessor)

    # The ids are transformers' own conversion of the same tekken.json (and the tiny folder's, which it came from).
    with safe_open(str(text), framework="pt") as f:
        (tmp_path / "tekken.json").write_bytes(f.get_tensor("tekken_model").numpy().tobytes())
    theirs = convert_tekken_tokenizer(str(tmp_path / "tekken.json"), chat_template="")
    ref = Flux2Pipeline.from_pretrained(tiny)
    for prompt in [*PROMPTS, "[SYSTEM_PROMPT]x[/SYSTEM_PROMPT][INST]y[/INST]"]:
        ids = pipe.tokenizer.tokenizer(prompt, add_special_tokens=False).input_ids
        assert ids == theirs(prompt, add_special_tokens=False).input_ids, prompt
        assert ids == ref.tokenizer.tokenizer(prompt, add_special_tokens=False).input_ids, prompt

    # The pipeline's chat template call renders Mistral's v7 form, and its control tokens are single ids.
    messages = format_input(prompts=[PROMPTS[0]], system_message=SYSTEM_MESSAGE)
    rendered = pipe.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    assert rendered == [f"<s>[SYSTEM_PROMPT]{SYSTEM_MESSAGE}[/SYSTEM_PROMPT][INST]{PROMPTS[0]}[/INST]"]
    inputs = pipe.tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, return_tensors="pt",
                                                padding="max_length", truncation=True, max_length=512)  # fmt: skip
    ids, mask = inputs["input_ids"][0].tolist(), inputs["attention_mask"][0].tolist()  # pyright: ignore
    used = ids[mask.index(1) :]
    system, prompt = (theirs(t, add_special_tokens=False).input_ids for t in (SYSTEM_MESSAGE, PROMPTS[0]))
    assert used == [1, 17, *system, 18, 3, *prompt, 4]  # <s> [SYSTEM_PROMPT] .. [/SYSTEM_PROMPT] [INST] .. [/INST]
    assert len(ids) == 512 and set(ids[: mask.index(1)]) == {11}  # <pad> on the left, as FLUX.2 [dev] pads

    # The same weights and ids: the folder's prompt embeddings, exactly.
    embeds = [p.encode_prompt(prompt=PROMPTS[0], device=torch.device("cpu"))[0] for p in (pipe, ref)]
    assert torch.equal(embeds[0], embeds[1])


def test_the_written_processor_renders_image_turns_and_answers_in_the_v7_form(tiny_model, dev_files, tmp_path):
    import torch

    from hollywool.models.split_files import ModelFiles, load_files

    model, text, vae = dev_files
    config = studio_copy(tiny_model("flux2"), tmp_path / "configs", "flux2-dev")
    pipe, _keys = load_files(ModelFiles(model, (text,), vae), "flux2", config.parent, torch.float32, keep_fp8=False)
    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "T"}]},
        {"role": "assistant", "content": "A"},
        {"role": "user", "content": "U"},
    ]
    rendered = pipe.tokenizer.apply_chat_template(messages, tokenize=False)
    assert rendered == "<s>[SYSTEM_PROMPT]S[/SYSTEM_PROMPT][INST][IMG]T[/INST]A</s>[INST]U[/INST]"


def test_a_mistral_gguf_text_encoder_supplies_the_same_processor_from_its_metadata(tiny_model, tmp_path):
    """A GGUF Mistral Small (Mistral-Small-3.2-24B-Instruct-2506-Q4_K_M.gguf) and no .safetensors encoder: llama.cpp's
    metadata (byte-level tokens, merges, CONTROL specials, tekken's pre-tokenizer) becomes the same Pixtral processor
    folder; an F32 file gives the folder's ids and prompt embeddings exactly."""
    import torch
    from diffusers import Flux2Pipeline
    from diffusers.pipelines.flux2.pipeline_flux2 import format_input
    from diffusers.pipelines.flux2.system_messages import SYSTEM_MESSAGE
    from transformers import PixtralProcessor

    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.gguf_files import write_text_encoder_gguf
    from hollywool.testkit.split_layouts import write_flux2_dev_split_files

    tiny = tiny_model("flux2")
    model, _text, vae = write_flux2_dev_split_files(tiny, tmp_path / "models")  # no tekken_model, not used
    gguf = write_text_encoder_gguf(tiny, tmp_path / "models" / "text_encoders" / "Mistral-Small-3.2-24B-F32.gguf",
                                   "llama", "F32", tokenizer=True)  # fmt: skip
    config = studio_copy(tiny, tmp_path / "data" / "configs", "flux2-dev")

    pipe, _keys = load_files(ModelFiles(model, (gguf,), vae), "flux2", config.parent, torch.float32, keep_fp8=False)

    assert isinstance(pipe.tokenizer, PixtralProcessor)
    ref = Flux2Pipeline.from_pretrained(tiny)
    for prompt in [*PROMPTS, "[SYSTEM_PROMPT]x[/SYSTEM_PROMPT][INST]y[/INST]"]:
        ids = pipe.tokenizer.tokenizer(prompt, add_special_tokens=False).input_ids
        assert ids == ref.tokenizer.tokenizer(prompt, add_special_tokens=False).input_ids, prompt
    messages = format_input(prompts=[PROMPTS[0]], system_message=SYSTEM_MESSAGE)
    rendered = pipe.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    assert rendered == [f"<s>[SYSTEM_PROMPT]{SYSTEM_MESSAGE}[/SYSTEM_PROMPT][INST]{PROMPTS[0]}[/INST]"]
    embeds = [p.encode_prompt(prompt=PROMPTS[0], device=torch.device("cpu"))[0] for p in (pipe, ref)]
    assert torch.equal(embeds[0], embeds[1])


def test_a_mistral_file_without_tekken_model_gets_a_sentence_naming_where_the_tokenizer_comes_from(
    tiny_model, tmp_path
):
    import torch

    from hollywool.errors import InvalidInputError
    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_flux2_dev_split_files

    tiny = tiny_model("flux2")
    model, text, vae = write_flux2_dev_split_files(tiny, tmp_path / "models")  # no tekken_model
    config = studio_copy(tiny, tmp_path / "data" / "configs", "flux2-dev")
    before = _listing(config)
    with pytest.raises(InvalidInputError) as caught:
        load_files(ModelFiles(model, (text,), vae), "flux2", config.parent, torch.float32, keep_fp8=False)
    message = caught.value.message
    assert "flux2-dev/tokenizer has no tokenizer files" in message, message
    assert "ComfyUI's Mistral text-encoder .safetensors file" in message and "`tekken_model`" in message, message
    assert "a Mistral GGUF file carries it in its metadata" in message, message
    assert "copy the model's `tokenizer` folder" in message, message
    assert message.count(". ") == 0, message  # one sentence
    assert _listing(config) == before


def test_a_broken_tekken_model_names_the_file_and_leaves_the_folder_as_it_was(tiny_model, tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    from hollywool.errors import InvalidInputError
    from hollywool.models.split_files import ModelFiles, load_files
    from hollywool.testkit.split_layouts import write_flux2_dev_split_files

    tiny = tiny_model("flux2")
    model, text, vae = write_flux2_dev_split_files(tiny, tmp_path / "models", tokenizer=True)
    tensors = load_file(str(text))
    tensors["tekken_model"] = torch.frombuffer(bytearray(b'{"config": {}}'), dtype=torch.uint8)
    save_file(tensors, str(text))
    config = studio_copy(tiny, tmp_path / "data" / "configs", "flux2-dev")
    before = _listing(config)
    with pytest.raises(InvalidInputError) as caught:
        load_files(ModelFiles(model, (text,), vae), "flux2", config.parent, torch.float32, keep_fp8=False)
    assert caught.value.message.startswith(f"{text.name}: its `tekken_model` is not a tekken vocabulary")
    assert _listing(config) == before  # nothing half-written: the folder is swapped in only when complete


def test_a_config_folder_the_user_names_is_never_written(tiny_model, dev_files, tmp_path):
    import torch

    from hollywool.errors import InvalidInputError
    from hollywool.models.split_files import ModelFiles, load_files

    model, text, vae = dev_files
    users = studio_copy(tiny_model("flux2"), tmp_path / "mine", "flux2-dev")
    before = _listing(users)
    with pytest.raises(InvalidInputError, match="has no tokenizer files: copy the model's `tokenizer` folder"):
        load_files(ModelFiles(model, (text,), vae, users), "flux2", tmp_path / "configs", torch.float32,
                   keep_fp8=False)  # fmt: skip
    assert _listing(users) == before


def test_flux2_dev_split_files_generate_through_the_api_without_a_tokenizer_copied_by_hand(
    register_models, make_client, studio_dirs, tiny_model, dev_files
):
    from tests.image.conftest import add_user_models, mean_abs_diff, pixels, run

    model, text, vae = dev_files
    config = studio_copy(tiny_model("flux2"), studio_dirs["data_dir"] / "configs", "flux2-dev")
    settings = register_models({"tiny-folder": "flux2"})
    add_user_models(settings, {"split": {"name": "Split", "path": str(model), "text_encoders": [str(text)],
                                         "vae": str(vae), "default_steps": 2}})  # fmt: skip
    client = make_client()
    body = {"width": 64, "height": 64, "seed": 5, "steps": 2, "guidance_scale": 4.0}
    split = run(client, model="split", **body)
    folder = run(client, model="tiny-folder", **body)
    assert (config / "tokenizer" / "tokenizer.json").is_file()
    assert mean_abs_diff(pixels(client, split), pixels(client, folder)) < 0.5
