"""ControlNet inputs of an image job: checked at submit time, turned into a pipeline and its arguments at run time.

A ControlNet is a model of the model manager (models/control_models.py) made for one base family; the family
says which pipeline runs each ControlNet class (`ImageFamily.control_pipelines`). A control image is a ready
map or a photo that a preprocessor turns into one: canny and tile here (control_maps.py), depth and pose
through preprocessor models the model manager loads like any other (pose: a person detector, then ViTPose,
drawn as OpenPose draws, pose_maps.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from hollywool.engines.image.control_maps import BUILTIN, builtin_map
from hollywool.engines.image.params import ControlInput
from hollywool.engines.image.pose_maps import draw_pose, openpose_from_coco
from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.jobs.context import JobContext
from hollywool.media.references import ReferenceImages, fit
from hollywool.models.cache import CachedModel
from hollywool.models.control_models import ControlCatalog, ControlModel
from hollywool.models.families import ImageFamily, family, image_families
from hollywool.models.manager import ModelManager

# ControlNet classes whose pipelines take every control image of a job at once, each with its mode index.
TAKES_LISTS = {"ControlNetUnionModel"}


def task_of(mode: str, references: int) -> str:
    """What the controlled pipeline does: `generate` from text, `image-to-image` from a reference, `inpaint`."""
    if mode in ("inpaint", "outpaint"):
        return "inpaint"
    return "image-to-image" if references else mode


def pipeline_for(image_family: ImageFamily, model_class: str, task: str) -> str | None:
    """The family's pipeline for this ControlNet class and task (`Class` for generate, `Class/task` otherwise)."""
    return image_family.control_pipelines.get(model_class if task == "generate" else f"{model_class}/{task}")


def check(
    controls: list[ControlInput],
    image_family: ImageFamily,
    mode: str,
    references: int,
    catalog: ControlCatalog,
    images: ReferenceImages,
) -> list[ControlInput]:
    """The job's control inputs with their ControlNet chosen and their images stored; a 422 naming the field."""
    if not controls:
        return []
    if not image_family.control_pipelines:
        able = ", ".join(sorted({f.label for f in image_families().values() if f.control_pipelines}))
        raise InvalidInputError(
            f"control: {image_family.label} models take no ControlNet; models that do: {able}", field="control"
        )
    task = task_of(mode, references)
    if mode not in ("generate", "inpaint", "outpaint"):
        raise InvalidInputError(
            f"control: a ControlNet steers generate, image-to-image, inpaint and outpaint jobs; not a {mode} job",
            field="control",
        )
    chosen: ControlModel | None = None
    out: list[ControlInput] = []
    for i, control in enumerate(controls):
        field = f"control.{i}"
        model = _model(control, image_family, catalog, field)
        if model.modes and control.type not in model.modes:
            raise InvalidInputError(
                f"{field}.type: {model.name} follows {', '.join(model.modes)}; not {control.type!r}",
                field=f"{field}.type",
            )
        if control.preprocessor not in BUILTIN:
            try:
                catalog.get(control.preprocessor, kind="preprocessor")
            except NotFoundError:
                valid = [*BUILTIN, *(m.id for m in catalog.all() if m.kind == "preprocessor")]
                raise InvalidInputError(
                    f"{field}.preprocessor: unknown preprocessor {control.preprocessor!r}; choose one of "
                    f"{', '.join(valid)}",
                    field=f"{field}.preprocessor",
                ) from None
        if chosen is not None and chosen.id != model.id:
            raise InvalidInputError(
                f"{field}.model: the control inputs of one job use one ControlNet ({chosen.id})", field=f"{field}.model"
            )
        chosen = model
        image = images.normalise_one(control.image, f"{field}.image")
        out.append(control.model_copy(update={"model": model.id, "image": image}))
    assert chosen is not None
    if pipeline_for(image_family, chosen.model_class or "", task) is None:
        raise InvalidInputError(
            f"control: {chosen.name} steers only new images from the prompt on {image_family.label} models, not {task}",
            field="control",
        )
    if len(out) > 1 and chosen.model_class not in TAKES_LISTS:
        raise InvalidInputError(
            f"control: {chosen.name} takes one control image; {len(out)} were given", field="control"
        )
    return out


def _model(control: ControlInput, image_family: ImageFamily, catalog: ControlCatalog, field: str) -> ControlModel:
    fitting = [
        m
        for m in catalog.for_family(image_family.type)
        if m.model_class in image_family.control_pipelines and (not m.modes or control.type in m.modes)
    ]
    if control.model is None:
        if not fitting:
            raise InvalidInputError(
                f"{field}.model: no ControlNet for {image_family.label} models follows {control.type!r}",
                field=f"{field}.model",
            )
        return fitting[0]
    try:
        model = catalog.get(control.model, kind="controlnet", field=f"{field}.model")
    except NotFoundError as exc:
        raise InvalidInputError(exc.message, field=f"{field}.model") from None
    if model.base != image_family.type or model.model_class not in image_family.control_pipelines:
        base = family(model.base or "")
        ones = ", ".join(m.id for m in fitting) or "none is installed"
        raise InvalidInputError(
            f"{field}.model: {model.name} is a ControlNet for {base.label if base else model.base} models, "
            f"not {image_family.label}; ControlNets that fit: {ones}",
            field=f"{field}.model",
        )
    return model


def make_map(models: ModelManager, ctx: Any, control: ControlInput, image: Image.Image) -> Image.Image:
    """The control map of `image` as the control input's preprocessor makes it."""
    if control.preprocessor in BUILTIN:
        return builtin_map(control.preprocessor, image, control.model_dump())
    model = models.controls.get(control.preprocessor, kind="preprocessor")
    estimator = models.acquire_control(model, ctx)
    if model.produces != "pose":
        return estimator(image)
    detector = models.acquire_control(models.controls.get(model.detector or "", kind="detector"), ctx)
    people = detector(image)
    if not people:
        raise InvalidInputError(
            f"image: {model.name} found no person in the control image, so there is no pose to follow. Use a "
            "photo in which a person is clearly visible, or give a ready pose map with the preprocessor 'none'.",
            field="image",
        )
    return draw_pose(image.size, [openpose_from_coco(points, scores) for points, scores in estimator(image, people)])


@dataclass
class ControlRun:
    """The control pipeline over the loaded model, and the arguments each of its calls adds."""

    pipe: Any
    args: dict[str, Any]
    notes: list[str]


def prepare_run(
    ctx: JobContext,
    image_family: ImageFamily,
    cached: CachedModel,
    controls: list[ControlInput],
    images: ReferenceImages,
    width: int,
    height: int,
    task: str = "generate",
    frame: Callable[[Image.Image], Image.Image] | None = None,
) -> ControlRun:
    """The control pipeline and its arguments; each control image is fitted to width x height, or put in the
    generated region's frame by `frame` (an inpaint's crop)."""
    models = ctx.models
    model = models.controls.get(controls[0].model or "", kind="controlnet")
    module = models.acquire_control(model, ctx)
    name = pipeline_for(image_family, model.model_class or "", task)
    if name is None:
        raise InvalidInputError(f"control: {model.name} cannot steer {task} on {image_family.label} models")
    key = f"control:{model.id}:{task}"
    pipe = cached.variants.get(key)
    if pipe is None or pipe.controlnet is not module:  # made anew when the ControlNet was reloaded
        pipe = cached.variants[key] = _converted(image_family, name, cached.pipe, module)
    framed = [frame(images.load(c.image)) if frame else fit(images.load(c.image), width, height) for c in controls]
    maps = [make_map(models, ctx, c, image) for c, image in zip(controls, framed, strict=True)]
    takes = set(inspect.signature(pipe.__call__).parameters)
    notes: list[str] = []
    first = controls[0]
    args: dict[str, Any] = {"controlnet_conditioning_scale": first.scale}
    if model.model_class in TAKES_LISTS:
        args["control_image"] = maps
        args["control_mode"] = [model.modes[c.type] for c in controls]
        if len({c.scale for c in controls}) > 1:
            notes.append(f"{model.name} takes one conditioning scale for all its inputs: {first.scale:g} was used")
    else:
        args["control_image"] = maps[0]
        index = model.modes.get(first.type)
        if index is not None and "control_mode" in takes:
            args["control_mode"] = index
    if "control_guidance_start" in takes:
        args.update(control_guidance_start=first.start, control_guidance_end=first.end)
    elif (first.start, first.end) != (0.0, 1.0):
        notes.append(f"{image_family.label} ControlNets steer every step: start and end were not used")
    return ControlRun(pipe, args, notes)


def prepare_hires(
    ctx: JobContext,
    image_family: ImageFamily,
    cached: CachedModel,
    controls: list[ControlInput],
    images: ReferenceImages,
    size: tuple[int, int],
) -> ControlRun | None:
    """The hires fix's second pass steered too: the ControlNet's image-to-image pipeline with the maps made at the
    final size; None when the family has no such pipeline for this ControlNet."""
    model = ctx.models.controls.get(controls[0].model or "", kind="controlnet")
    if pipeline_for(image_family, model.model_class or "", "image-to-image") is None:
        return None
    return prepare_run(ctx, image_family, cached, controls, images, *size, task="image-to-image")


def _converted(image_family: ImageFamily, name: str, pipe: Any, controlnet: Any) -> Any:
    import diffusers

    converted = getattr(diffusers, name).from_pipe(pipe, controlnet=controlnet)
    converted.set_progress_bar_config(disable=True)
    if image_family.on_convert is not None:
        image_family.on_convert(converted)
    return converted
