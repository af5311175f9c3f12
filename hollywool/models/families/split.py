"""What a family declares so that split files assemble into its pipeline.

ComfyUI and the quantizers publish a model as separate files: the diffusion model (`diffusion_models/`,
often fp8 or GGUF), its text encoders (`text_encoders/`) and its VAE (`vae/`). A family that declares
`SplitFiles` can be loaded from such files with the configs and tokenizers of a shipped config folder
(hollywool/catalog/configs/<config>/): see models/split_files.py.

Each text encoder slot says which kind of file fills it (models/text_encoders.py tells kinds apart by
their key names) and which transformers class loads it; when a family has two slots of one kind, the
files are told apart by their width, read from the config folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# (original-layout state dict, the diffusion model's diffusers config) -> a diffusers-layout state dict
Converter = Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class TextEncoderSlot:
    component: str  # the pipeline's name for it: "text_encoder", "text_encoder_2"
    kind: str  # the kind of file that fills it (models/text_encoders.py): "clip", "t5", ...
    model_class: str  # the transformers class that loads it: "CLIPTextModel", "T5EncoderModel"
    names: tuple[str, ...] = ()  # file-name hints for pairing files in a models folder: ("clip_l",)
    checkpoint_prefix: str = ""  # its keys' prefix inside a whole checkpoint (ComfyUI's "text_encoders.clip_l.")
    # (regex, replacement) applied to the file's key names before they are matched to the model's: ComfyUI keeps
    # Qwen2.5-VL as `model.layers.N` + `visual.`, transformers 5 as `model.language_model.layers.N` + `model.visual.`
    renames: tuple[tuple[str, str], ...] = ()
    # Parts of the model a file may leave out (after `renames`), dropped from the model when it does: FLUX.2 [dev]'s
    # Mistral 3 prompts with text only, and its vision tower may be missing from a text-encoder file.
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckpointPart:
    """A component besides the diffusion model, the VAE and the text encoders that a whole checkpoint carries (LTX-2's
    audio VAE, text connectors and vocoder): read from the keys under `prefixes`, mapped by `convert`, built with the
    class and config the config folder gives `component`.

    Such a part may also come in files of its own (ComfyUI users' `vae/LTX2_audio_vae_bf16.safetensors`), alone or
    with other parts, or be spread over several files (LTX-2.3's connector blocks in the transformer-only file, their
    Gemma feature projection in a file beside it): its tensors are gathered from every file that carries some, and
    `pieces` says what must be among them."""

    component: str  # the pipeline's name for it: "audio_vae"
    label: str  # what a person calls it, in messages: "audio VAE"
    prefixes: tuple[str, ...]  # its keys' prefixes inside the checkpoint or a file of its own
    convert: Converter
    # Key names (at the start of a key or after a dot) that some file must carry, each: a file lacking one is named.
    pieces: tuple[str, ...] = ()
    example: str = ""  # a published file that holds it, named when it is missing
    names: tuple[str, ...] = ()  # file-name hints (lower case) for pairing files in a models folder


@dataclass(frozen=True)
class Sampling:
    """The recommended sampling of a variant that only a file's name tells apart (LTX-2's distilled checkpoints)."""

    steps: int
    guidance: float
    call: Mapping[str, Any] = field(default_factory=dict[str, Any])  # further pipeline arguments: `extra.call`


@dataclass(frozen=True)
class SplitFiles:
    """How a diffusion-model-only file of this family becomes a pipeline.

    `config`: the shipped config folder (JSON and tokenizers) the pipeline is assembled with; `variant`
    picks another shipped folder from the diffusion model's keys and shapes (FLUX.1 schnell has no
    guidance embedder). `convert`: maps the original key layout to diffusers' when diffusers' own
    single-file conversion does not fit (None: `from_single_file` converts); `vae_convert` the same for the VAE
    file, for VAE classes diffusers cannot load from a single file.
    """

    config: str
    model_class: str  # the diffusers class of the diffusion model: "FluxTransformer2DModel"
    text_encoders: tuple[TextEncoderSlot, ...]
    component: str = "transformer"  # the pipeline's name for the diffusion model
    checkpoint_prefix: str = "model.diffusion_model."  # its keys' prefix inside a whole checkpoint (ComfyUI's)
    vae_class: str = "AutoencoderKL"
    vae_channels: int = 16  # latent channels: tells its VAE files from other families'
    vae_names: tuple[str, ...] = ()  # file-name hints for pairing ("ae", "flux")
    # Key names (a VAE file's keys end with one) that tell this family's VAE by its layout whatever its width, before
    # the latent channels are asked (LTX's causal VAE: ComfyUI's comfy.sd.VAE tells it by the first one).
    vae_markers: tuple[str, ...] = ()
    vae_family: str | None = None  # another family whose VAE files this one takes (Z-Image: FLUX.1's ae.safetensors)
    variant: Callable[[Mapping[str, list[int]]], str | None] | None = None
    # The shipped config folder from the diffusion-model file's name, for variants whose keys are alike (HunyuanVideo
    # 1.5's t2v and i2v, 480p and 720p checkpoints); tried before `variant`.
    variant_by_name: Callable[[str], str | None] | None = None
    convert: Converter | None = None
    vae_convert: Converter | None = None
    # A file of this family that split files cannot make (Wan 2.2 A14B's two experts): a sentence naming what to
    # use instead; None when the file can be assembled.
    refuse: Callable[[Mapping[str, list[int]]], str | None] | None = None
    # Variants whose weights have the same keys and shapes (FLUX.2 [klein] Base and distilled): (the lower-cased
    # file name, the config the keys picked) -> the shipped config; only the name can tell them apart.
    named_config: Callable[[str, str], str] | None = None
    # Shipped configs whose sampling differs from the family's defaults: config -> (steps, guidance), given to
    # catalogue entries made from such files (a models folder, "add a model").
    config_defaults: Mapping[str, tuple[int, float]] = field(default_factory=dict[str, tuple[int, float]])
    # Sampling told by the lower-cased file name alone, when the weights' keys and config are those of another variant
    # (LTX-2's distilled checkpoints have the dev ones' keys and configs); tried before `config_defaults`.
    named_sampling: Callable[[str], Sampling | None] | None = None
    parts: tuple[CheckpointPart, ...] = ()  # further components: in a whole checkpoint or files of their own
    vae_example: str = ""  # a published VAE file, named when the VAE is missing
    # (the diffusion model's file name, another file's name) -> whether the names say the same release, preferred when
    # a models folder holds several (LTX-2 and LTX-2.3 VAEs; the dev and distilled connectors, which differ)
    same_release: Callable[[str, str], bool] | None = None
