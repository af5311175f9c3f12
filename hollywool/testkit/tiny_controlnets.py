"""Tiny random-weight control models: ControlNets that fit the kit's tiny SDXL, Z-Image and Qwen-Image, a tiny
Depth Anything preprocessor, and a tiny ViTPose with the tiny RT-DETR person detector it runs first. Each is
saved as a user would have it (a diffusers or transformers folder).

ControlNets start with their output layers at zero (they change nothing until trained): the builders give every
all-zero weight random values, so a different control image gives a different picture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

SEED = 0


def _wake(module: Any, scale: float = 0.3, embedder: str = "") -> Any:
    """Random values for the weights a ControlNet starts with at zero; `embedder`: the part that reads the control
    image gets large ones too (its default init barely lets a tiny model tell two images apart)."""
    generator = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, param in module.named_parameters():
            if not param.any() or (embedder and name.startswith(embedder)):
                param.copy_(torch.randn(param.shape, generator=generator) * scale)
    return module


def build_sdxl_union(base: str | Path, folder: str | Path) -> Path:
    """A ControlNet Union (xinsir's SDXL layout, 8 control types) made from the tiny SDXL's UNet."""
    from diffusers import ControlNetUnionModel, UNet2DConditionModel

    unet = UNet2DConditionModel.from_pretrained(Path(base) / "unet")
    torch.manual_seed(SEED)
    layout = ControlNetUnionModel.from_unet(unet, conditioning_embedding_out_channels=(8, 8, 8, 8))
    config = {k: v for k, v in layout.config.items() if not k.startswith("_")}  # `_use_default_values` resets
    width = unet.config["block_out_channels"][0]
    torch.manual_seed(SEED)
    model = ControlNetUnionModel.from_config(
        {**config, "num_trans_channel": width, "num_trans_head": 2, "num_proj_channel": width, "num_control_type": 8}
    )
    _wake(model, 0.5, embedder="controlnet_cond_embedding").save_pretrained(folder)
    return Path(folder)


def build_zimage_controlnet(folder: str | Path) -> Path:
    """A Z-Image Fun ControlNet for the kit's tiny Z-Image (dim 32, 2 heads, 16 latent channels)."""
    from diffusers import ZImageControlNetModel

    torch.manual_seed(SEED)
    model = ZImageControlNetModel(
        control_layers_places=[0],
        control_refiner_layers_places=[0],
        control_in_dim=16,
        dim=32,
        n_refiner_layers=1,
        n_heads=2,
        n_kv_heads=2,
    )
    _wake(model).save_pretrained(folder)
    return Path(folder)


def build_qwen_controlnet(base: str | Path, folder: str | Path) -> Path:
    """A Qwen-Image ControlNet (InstantX's layout) made from the tiny Qwen-Image's transformer."""
    from diffusers import QwenImageControlNetModel, QwenImageTransformer2DModel

    transformer = QwenImageTransformer2DModel.from_pretrained(Path(base) / "transformer")
    torch.manual_seed(SEED)
    model = QwenImageControlNetModel.from_transformer(
        transformer, num_layers=1, attention_head_dim=16, num_attention_heads=2
    )
    _wake(model, 1.0).save_pretrained(folder)
    return Path(folder)


def build_depth_anything(folder: str | Path) -> Path:
    """Depth Anything (V2's layout: DINOv2 backbone, DPT head) with its image processor, 56 px input."""
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config, DPTImageProcessor

    torch.manual_seed(SEED)
    sizes: dict[str, Any] = {
        "hidden_size": 16,
        "num_hidden_layers": 4,
        "num_attention_heads": 2,
        "intermediate_size": 32,
        "patch_size": 14,
        "image_size": 56,
        "out_features": ["stage1", "stage2", "stage3", "stage4"],
        "reshape_hidden_states": False,
    }
    backbone = Dinov2Config(**sizes)
    config = DepthAnythingConfig(
        backbone_config=backbone,
        fusion_hidden_size=16,
        head_hidden_size=8,
        neck_hidden_sizes=[8, 16, 16, 16],
        reassemble_hidden_size=16,
        depth_estimation_type="relative",
    )
    DepthAnythingForDepthEstimation(config).eval().save_pretrained(folder)
    processor = DPTImageProcessor(
        size={"height": 56, "width": 56}, keep_aspect_ratio=True, ensure_multiple_of=14, do_pad=False
    )
    processor.save_pretrained(folder)
    return Path(folder)


def build_flux_controlnet(base: str | Path, folder: str | Path) -> Path:
    """A FLUX.1 ControlNet (InstantX's layout without modes) made from the tiny FLUX.1's transformer."""
    from diffusers import FluxControlNetModel, FluxTransformer2DModel

    transformer = FluxTransformer2DModel.from_pretrained(Path(base) / "transformer")
    torch.manual_seed(SEED)
    model = FluxControlNetModel.from_transformer(
        transformer, num_layers=1, num_single_layers=1, attention_head_dim=16, num_attention_heads=2
    )
    _wake(model, 1.0).save_pretrained(folder)
    return Path(folder)


def build_person_detector(folder: str | Path, person_bias: float = 6.0) -> Path:
    """RT-DETR (a ResNet backbone, one decoder layer, 4 queries) with its image processor, 64 px input, labels
    person and cat. `person_bias`: added to the person logits, so random weights find a person in every query
    (positive) or never (negative)."""
    from transformers import RTDetrConfig, RTDetrForObjectDetection, RTDetrImageProcessor, RTDetrResNetConfig

    torch.manual_seed(SEED)
    stages: dict[str, Any] = {"out_features": ["stage2", "stage3", "stage4"]}  # a backbone option (**kwargs)
    backbone = RTDetrResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1], layer_type="basic", **stages
    )
    config = RTDetrConfig(
        backbone_config=backbone, encoder_hidden_dim=16, encoder_in_channels=[16, 16, 32], encoder_ffn_dim=32,
        encoder_attention_heads=2, d_model=16, num_queries=4, decoder_in_channels=[16, 16, 16], decoder_ffn_dim=32,
        decoder_layers=1, decoder_attention_heads=2, num_denoising=0,
        id2label={0: "person", 1: "cat"}, label2id={"person": 0, "cat": 1},
    )  # fmt: skip
    model = RTDetrForObjectDetection(config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("bias") and ("class_embed" in name or "enc_score_head" in name):
                param[0] += person_bias
    model.save_pretrained(folder)
    RTDetrImageProcessor(size={"height": 64, "width": 64}).save_pretrained(folder)
    return Path(folder)


def build_vitpose(folder: str | Path) -> Path:
    """ViTPose (the simple decoder, 17 COCO keypoints) with its image processor's config, a 64x48 input."""
    from transformers import VitPoseBackboneConfig, VitPoseConfig, VitPoseForPoseEstimation, VitPoseImageProcessor

    torch.manual_seed(SEED)
    options: dict[str, Any] = {"out_indices": [1]}  # a backbone option (**kwargs)
    backbone = VitPoseBackboneConfig(
        image_size=[64, 48], patch_size=[8, 8], hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        mlp_ratio=2, **options,
    )  # fmt: skip
    keypoints: dict[str, Any] = {"num_labels": 17}  # COCO's keypoints (a PretrainedConfig **kwargs)
    VitPoseForPoseEstimation(VitPoseConfig(backbone_config=backbone, **keypoints)).eval().save_pretrained(folder)
    VitPoseImageProcessor(size={"height": 64, "width": 48}).save_pretrained(folder)
    return Path(folder)
