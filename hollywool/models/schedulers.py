"""Scheduler choices by name: the diffusers class and the options that make it that sampler.

Names follow the usual UI names; `a1111` is the name A1111-style metadata uses (for reading and writing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SchedulerChoice:
    name: str
    label: str
    cls: str
    options: dict[str, Any] = field(default_factory=dict[str, Any])
    a1111: str = ""
    a1111_schedule: str = ""


SCHEDULERS: dict[str, SchedulerChoice] = {
    s.name: s
    for s in (
        SchedulerChoice("euler", "Euler", "EulerDiscreteScheduler", a1111="Euler"),
        SchedulerChoice("euler_a", "Euler Ancestral", "EulerAncestralDiscreteScheduler", a1111="Euler a"),
        SchedulerChoice("dpmpp_2m", "DPM++ 2M", "DPMSolverMultistepScheduler", a1111="DPM++ 2M"),
        SchedulerChoice(
            "dpmpp_2m_karras",
            "DPM++ 2M Karras",
            "DPMSolverMultistepScheduler",
            {"use_karras_sigmas": True},
            a1111="DPM++ 2M",
            a1111_schedule="Karras",
        ),
        SchedulerChoice("ddim", "DDIM", "DDIMScheduler", a1111="DDIM"),
        SchedulerChoice("pndm", "PNDM / PLMS", "PNDMScheduler", {"skip_prk_steps": True}, a1111="PLMS"),
        SchedulerChoice("heun", "Heun", "HeunDiscreteScheduler", a1111="Heun"),
        SchedulerChoice("unipc", "UniPC", "UniPCMultistepScheduler", a1111="UniPC"),
        SchedulerChoice("lcm", "LCM", "LCMScheduler", a1111="LCM"),
        SchedulerChoice("flow_euler", "Flow Euler", "FlowMatchEulerDiscreteScheduler", a1111="Euler"),
        SchedulerChoice("flow_heun", "Flow Heun", "FlowMatchHeunDiscreteScheduler", a1111="Heun"),
    )
}

# Other tools' sampler names -> ours (A1111 labels, ComfyUI sampler_name values, InvokeAI scheduler names).
ALIASES = {
    # A sampler name alone means no special schedule ("DPM++ 2M" is not the Karras variant).
    **{
        s.a1111.lower(): s.name
        for s in SCHEDULERS.values()
        if s.a1111 and not s.a1111_schedule and not s.name.startswith("flow_")
    },
    "dpm++ 2m karras": "dpmpp_2m_karras",  # A1111 before 1.9 named sampler and schedule together
    "euler_ancestral": "euler_a",
    "dpmpp_2m": "dpmpp_2m",
    "dpmpp_2m_k": "dpmpp_2m_karras",
    "uni_pc": "unipc",
    "plms": "pndm",
    "lms": "euler",
}


def resolve(name: str | None, schedule: str | None = None) -> str | None:
    """Our scheduler name for another tool's sampler (and schedule) name, or None."""
    if not name:
        return None
    key = name.strip().lower()
    ours = SCHEDULERS.get(key) and key or ALIASES.get(key)
    if ours == "dpmpp_2m" and (schedule or "").lower() == "karras":
        return "dpmpp_2m_karras"
    return ours


def make_scheduler(name: str, base_config: dict[str, Any], overrides: dict[str, Any] | None = None) -> Any:
    import diffusers

    choice = SCHEDULERS[name]
    return getattr(diffusers, choice.cls).from_config(base_config, **choice.options, **(overrides or {}))
