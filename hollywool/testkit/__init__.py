"""Offline test kit: tiny random-weight models and files built locally, with no model hub.

* ``tiny_models``: one builder per family (``FAMILIES``, ``build_family``, ``build_all``) that saves a tiny
  diffusers pipeline folder, and the smallest valid call for each.
* ``tokenizers``: CLIP, T5/UMT5 and Gemma tokenizers written to folders.
* ``single_file``: original-layout (LDM / A1111 / Civitai) SD 1.5 and SDXL checkpoints from tiny folders.
* ``loras``: diffusers/peft and kohya LoRA files for the tiny SD 1.5 / SDXL UNets.
* ``upscalers``: tiny Real-ESRGAN weights that spandrel recognises.

Modules import torch, diffusers and transformers lazily where they can; nothing here downloads anything.
"""
