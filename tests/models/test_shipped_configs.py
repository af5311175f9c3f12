"""The studio's copy of a shipped config folder follows the package: an upgrade that changes the shipped JSON
rebuilds the copy and keeps the vocabulary filled in since (hollywool/models/shipped_configs.py)."""

from __future__ import annotations

import json

from hollywool.models.shipped_configs import MARKER, shipped_config


def test_a_copy_made_from_an_earlier_shipped_folder_is_refreshed_and_keeps_its_vocabulary(tmp_path):
    copy = shipped_config("zimage", tmp_path)
    shipped = json.loads((copy / "tokenizer" / "tokenizer_config.json").read_text())
    assert shipped["added_tokens_decoder"]["151667"]["content"] == "<think>"

    # A copy as an earlier release left it: a minimal tokenizer_config (no added tokens, no template), ComfyUI's
    # vocabulary filled in, a key only ComfyUI's config declared, and the old marker.
    earlier = {"tokenizer_class": "Qwen2Tokenizer", "eos_token": "<|im_end|>", "errors": "replace"}
    (copy / "tokenizer" / "tokenizer_config.json").write_text(json.dumps(earlier))
    (copy / "tokenizer" / "vocab.json").write_text('{"a": 0}')
    (copy / "tokenizer" / "merges.txt").write_text("#version: 0.2\n")
    (copy / "transformer" / "stale.json").write_text("{}")
    (copy / MARKER).write_text("1")

    again = shipped_config("zimage", tmp_path)
    config = json.loads((again / "tokenizer" / "tokenizer_config.json").read_text())
    assert config["added_tokens_decoder"] == shipped["added_tokens_decoder"]
    assert config["chat_template"] == shipped["chat_template"]
    assert config["errors"] == "replace"  # a key the shipped file does not declare is kept
    assert (again / "tokenizer" / "vocab.json").read_text() == '{"a": 0}'
    assert (again / "tokenizer" / "merges.txt").exists()
    assert not (again / "transformer" / "stale.json").exists()  # outside tokenizer folders the package decides
    assert (again / MARKER).read_text() != "1"


def test_an_up_to_date_copy_is_used_as_it_is(tmp_path):
    copy = shipped_config("sd15", tmp_path)
    assert (copy / "tokenizer" / "vocab.json").stat().st_size > 900_000  # CLIP's, derived from the BPE file
    (copy / "tokenizer" / "added_by_hand.txt").write_text("kept")
    (copy / "model_index.json").write_text('{"edited": true}')

    again = shipped_config("sd15", tmp_path)
    assert (again / "tokenizer" / "added_by_hand.txt").read_text() == "kept"
    assert json.loads((again / "model_index.json").read_text()) == {"edited": True}
