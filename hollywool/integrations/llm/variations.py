"""Prompt variations: one idea in, exactly `count` distinct prompts out (or an error saying how many
came back). One follow-up request tops up a short answer before giving up."""

from __future__ import annotations

from hollywool.integrations.llm.backends import LlmBackend, LlmError
from hollywool.integrations.llm.parse import parse_prompts

SYSTEM = (
    "You write prompts for text-to-image and text-to-video models. Each prompt is one self-contained "
    "paragraph describing subject, setting, composition, lighting and style. Answer with a JSON array of "
    "strings and nothing else."
)


def _ask(count: int, base_prompt: str, style: str | None, avoid: list[str]) -> str:
    # The count comes first: it is the one number the answer must honour.
    lines = [f'Write {count} distinct prompt variations of this idea: "{base_prompt}"']
    if style:
        lines.append(f"Style or instructions: {style}")
    if avoid:
        lines.append("They must differ from these prompts already written:")
        lines += [f"- {p}" for p in avoid[:50]]
    lines.append(f"Answer with a JSON array of exactly {count} strings.")
    return "\n".join(lines)


def generate_variations(backend: LlmBackend, base_prompt: str, count: int, style: str | None = None) -> list[str]:
    prompts = parse_prompts(backend.complete(SYSTEM, _ask(count, base_prompt, style, []), _max_tokens(count)))
    if 0 < len(prompts) < count:
        missing = count - len(prompts)
        more = parse_prompts(backend.complete(SYSTEM, _ask(missing, base_prompt, style, prompts), _max_tokens(missing)))
        seen = {p.lower() for p in prompts}
        prompts += [p for p in more if p.lower() not in seen]
    if len(prompts) < count:
        raise LlmError(
            f"Asked {backend.name} for {count} prompt variations; {len(prompts)} came back. "
            "Try again, lower the count, or use another model."
        )
    return prompts[:count]


def _max_tokens(count: int) -> int:
    return min(1024 + 160 * count, 16_000)
