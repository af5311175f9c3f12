/** Complete API objects for tests: the generated types make every sent field present, so fixtures fill in the rest. */
import type { CanGenerate, Job, LocalModel, Lora, RemoteModel, RequestLimits, Sent, StylePreset } from "@/api/types";
import type { components } from "@/api/schema";

type ParamSpec = Sent<components["schemas"]["ParamSpec"]>;

export const paramSpec = (p: Partial<ParamSpec> & { name: string }): ParamSpec => ({
  type: "string",
  required: false,
  default: null,
  enum: null,
  minimum: null,
  maximum: null,
  description: "",
  ...p,
});

/** Sizes as the server answers them for a model of about 1024² pixels in multiples of 8 (a few presets). */
export const ASPECT_SIZES_1024 = {
  "1:1": { width: 1024, height: 1024 },
  "16:9": { width: 1368, height: 768 },
  "9:16": { width: 768, height: 1368 },
  "3:2": { width: 1256, height: 840 },
};

export const localModel = (m: Partial<LocalModel> & Pick<LocalModel, "id">): LocalModel => ({
  name: m.id,
  path: `org/${m.id}`,
  type: "sd",
  family: "Stable Diffusion 1.x/2.x",
  default_steps: 20,
  default_guidance: 7,
  category: "quality",
  size_gb: 2,
  memory_gb: 4,
  tags: [],
  description: "",
  gated: false,
  default_width: null,
  default_height: null,
  variant: null,
  user_defined: false,
  source: "hub",
  is_video: false,
  downloaded: false,
  loaded: false,
  size_multiple: 8,
  supports_negative_prompt: true,
  schedulers: null,
  min_size: 64,
  max_size: 4096,
  aspect_sizes: ASPECT_SIZES_1024,
  cache_size_bytes: 0,
  last_used: null,
  location: null,
  lora_presets: null,
  text_encoders: [],
  vae: null,
  parts: [],
  legacy: false,
  max_reference_images: null,
  requires_reference_image: null,
  modes: null,
  ...m,
});

export const remoteModel = (m: Partial<RemoteModel> & Pick<RemoteModel, "id">): RemoteModel => ({
  name: m.id,
  type: "remote",
  remote: true,
  provider: "fal",
  provider_name: "fal",
  provider_configured: true,
  model_id: m.id.replace(/^fal:/, ""),
  category: "text-to-image",
  is_video: false,
  description: "",
  tags: [],
  price: null,
  params: [],
  max_reference_images: 0,
  studio_params: {},
  thumbnail_url: null,
  size_multiple: 8,
  min_size: 64,
  max_size: 4096,
  aspect_sizes: ASPECT_SIZES_1024,
  ...m,
});

/** GET /api/limits as the server answers it (tests/core/test_request_limits.py ties these to ImageParams). */
export const requestLimits = (l: Partial<RequestLimits> = {}): RequestLimits => ({
  prompt_max_length: 10_000,
  steps: { min: 1, max: 200 },
  guidance_scale: { min: 0, max: 50 },
  seed: { min: 0, max: 2 ** 32 - 1 },
  num_images: { min: 1, max: 4 },
  lora_weight: { min: 0, max: 1.5 },
  reference_images: 5,
  strength: { min: 0.1, max: 1 },
  reference_image_bytes: 20 * 1024 * 1024,
  ...l,
});

export const style = (s: Partial<StylePreset> & Pick<StylePreset, "id">): StylePreset => ({ name: s.id, template: "{prompt}", negative: "", ...s });

export const lora = (l: Partial<Lora> & Pick<Lora, "id">): Lora => ({
  name: l.id,
  path: `/loras/${l.id}.safetensors`,
  base: null,
  format: "safetensors",
  size_bytes: 1,
  source: "folder",
  model_types: ["sd", "sdxl", "sd3", "flux"],
  trigger_words: [],
  ...l,
});

export const canGenerate = (c: Partial<CanGenerate>): CanGenerate => ({
  model_id: "m",
  can_generate: true,
  loaded: false,
  reason: "",
  downloaded: true,
  required_gb: null,
  available_gb: null,
  budget_gb: null,
  device: null,
  memory_kind: null,
  plan: null,
  recommended_models: [],
  ...c,
});

export const job = (j: Partial<Job> & Pick<Job, "id">): Job => ({
  job_id: j.id,
  kind: "image",
  kind_label: "Image",
  title: "a lighthouse at dusk",
  lane: "gpu",
  status: "queued",
  queue_position: null,
  priority: 0,
  params: {},
  stage: "",
  stage_label: "",
  step: 0,
  total_steps: 0,
  fraction: 0,
  progress: 0,
  eta_seconds: null,
  message: null,
  error: null,
  error_detail: null,
  result: {},
  session_id: null,
  parent_id: null,
  attempts: 0,
  cancel_requested: false,
  ran_on: null,
  created_at: 0,
  started_at: null,
  finished_at: null,
  updated_at: 0,
  images: [],
  videos: [],
  source_image_urls: [],
  ...j,
});
