"""FLUX.1 Kontext (edits one reference image from the prompt) and FLUX.1 Fill (inpaint and outpaint): the FLUX.1
transformer with other pipelines, told apart by their model_index.json. Kontext's pipeline scales its output to
an area (`max_area`): the studio passes the job's own size. Fill's transformer reads the masked image and the
mask beside the latents (384 input channels); it has no text-to-image or image-to-image pass.

Their single files (flux1-fill-dev.safetensors, flux1-kontext-dev.safetensors, fp8 or GGUF, with or without
ComfyUI's prefix) are FLUX.1's original layout: FLUX.1's single-file layout sends them here (families/flux.py) and
they assemble as FLUX.1's split files do, with their own shipped config folder."""

from dataclasses import replace
from typing import Any

from hollywool.models.families.base import register
from hollywool.models.families.flux import FAMILY as FLUX1
from hollywool.models.families.split import SplitFiles

_NOT_INHERITED: dict[str, Any] = {
    "single_file": None,  # FLUX.1's layout names these families (families/flux.py)
    "control_pipelines": {},
    "civitai_base_models": (),
}


def _split(config: str) -> SplitFiles:
    assert FLUX1.split_files is not None
    return replace(FLUX1.split_files, config=config, variant=None)  # no schnell of these


KONTEXT = register(
    replace(
        FLUX1,
        **_NOT_INHERITED,
        type="flux-kontext",
        label="FLUX.1 Kontext",
        pipeline="FluxKontextPipeline",
        edit_pipeline="FluxKontextPipeline",
        inpaint_pipeline=None,
        max_references=1,
        aliases=("flux1-kontext", "kontext"),
        default_guidance=2.5,
        area_param="max_area",
        split_files=_split("flux1-kontext"),
    )
)

FILL = register(
    replace(
        FLUX1,
        **_NOT_INHERITED,
        type="flux-fill",
        label="FLUX.1 Fill",
        pipeline="FluxFillPipeline",
        inpaint_pipeline="FluxFillPipeline",
        text_to_image=False,
        image_to_image=False,
        max_references=1,
        aliases=("flux1-fill",),
        default_guidance=30.0,
        split_files=_split("flux1-fill"),
    )
)
