"""Style presets: prompt text added around the user's prompt (and to the negative prompt)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    id: str
    name: str
    template: str  # "{prompt}" is replaced by the user's prompt
    negative: str = ""


STYLES: dict[str, Style] = {
    s.id: s
    for s in (
        Style(
            "cinematic",
            "Cinematic",
            "cinematic film still of {prompt}, shallow depth of field, dramatic lighting, film grain, anamorphic",
            "cartoon, illustration, flat lighting",
        ),
        Style(
            "photographic",
            "Photographic",
            "professional photograph of {prompt}, 35mm, natural light, sharp focus, highly detailed",
            "drawing, painting, illustration, cgi",
        ),
        Style(
            "anime",
            "Anime",
            "anime artwork of {prompt}, anime style, key visual, vibrant, studio anime",
            "photo, realistic, 3d render",
        ),
        Style("digital-art", "Digital art", "digital art of {prompt}, concept art, detailed, artstation", "photo"),
        Style("fantasy", "Fantasy", "ethereal fantasy art of {prompt}, magical, majestic, epic, painterly", "photo"),
        Style("comic", "Comic book", "comic book panel of {prompt}, bold ink lines, halftone, vivid colours", "photo"),
        Style("3d-model", "3D model", "3d render of {prompt}, octane render, volumetric lighting, detailed", "photo"),
        Style("pixel-art", "Pixel art", "pixel art of {prompt}, 16-bit, low resolution, crisp pixels", "blurry"),
        Style("watercolor", "Watercolour", "watercolour painting of {prompt}, soft washes, paper texture", "photo"),
        Style("line-art", "Line art", "line art drawing of {prompt}, clean lines, monochrome, minimal", "colour"),
    )
}


def apply_style(style_id: str | None, prompt: str, negative: str | None) -> tuple[str, str | None]:
    """The prompt and negative prompt with the style's text added; unchanged for no style."""
    if not style_id:
        return prompt, negative
    style = STYLES[style_id]
    final_negative = ", ".join(p for p in (negative, style.negative) if p) or None
    return style.template.replace("{prompt}", prompt), final_negative
