/**
 * Readers for the answers that have no response model on the server yet (`/api/models*`, `/api/loras`,
 * `/api/styles`, `/api/system/can-generate/{id}`, `/api/models/downloads`): each
 * accepts the documented shape and the close variants, and never throws on an unexpected one.
 */
import type { CacheState, CanGenerate, DownloadInfo, Lora, ModelInfo, StylePreset } from "./types";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** A list, or the first array found under `models`, `items`, `loras`, `styles`, `downloads`. */
export function listOf(data: unknown, keys: string[] = ["items", "models", "loras", "styles", "downloads"]): unknown[] {
  if (Array.isArray(data)) return data;
  if (isObj(data)) {
    for (const k of keys) if (Array.isArray(data[k])) return data[k] as unknown[];
    // A mapping id -> entry
    const values = Object.entries(data);
    if (values.length && values.every(([, v]) => isObj(v))) return values.map(([id, v]) => ({ id, ...(v as Obj) }));
  }
  return [];
}

export function toModel(raw: unknown): ModelInfo | null {
  if (!isObj(raw)) return null;
  const id = str(raw.id) ?? str(raw.model_id);
  if (!id) return null;
  const cache = isObj(raw.cache) ? raw.cache : {};
  return {
    ...(raw as unknown as ModelInfo),
    id,
    name: str(raw.name) ?? str(raw.display_name) ?? id,
    type: str(raw.type) ?? "sd",
    category: str(raw.category) ?? "quality",
    cached:
      typeof raw.cached === "boolean"
        ? raw.cached
        : typeof raw.downloaded === "boolean"
          ? raw.downloaded
          : typeof cache.cached === "boolean"
            ? (cache.cached as boolean)
            : undefined,
    cache_size_bytes: num(raw.cache_size_bytes) ?? num(raw.size_on_disk_bytes) ?? num(cache.size_bytes) ?? null,
  };
}

export function toModels(data: unknown): ModelInfo[] {
  return listOf(data).map(toModel).filter((m): m is ModelInfo => m !== null);
}

export function toCacheStatus(data: unknown): Record<string, CacheState> {
  const out: Record<string, CacheState> = {};
  // The studio's shape: {downloaded: [ids], hub_cache_bytes, ...loaded-model info}
  if (isObj(data) && Array.isArray(data.downloaded)) {
    for (const id of data.downloaded) if (typeof id === "string") out[id] = { cached: true };
    return out;
  }
  const source = isObj(data) && isObj(data.models) ? data.models : data;
  if (isObj(source) && !Array.isArray(source)) {
    for (const [id, v] of Object.entries(source)) {
      if (typeof v === "boolean") out[id] = { cached: v };
      else if (isObj(v)) out[id] = { cached: Boolean(v.cached ?? v.is_cached), size_bytes: num(v.size_bytes) ?? null };
    }
    if (Object.keys(out).length) return out;
  }
  for (const item of listOf(data)) {
    if (!isObj(item)) continue;
    const id = str(item.id) ?? str(item.model_id);
    if (id) out[id] = { cached: Boolean(item.cached ?? item.is_cached), size_bytes: num(item.size_bytes) ?? null };
  }
  return out;
}

export function toLoras(data: unknown): Lora[] {
  return listOf(data)
    .filter(isObj)
    .map((l) => {
      const id = str(l.id) ?? str(l.lora_id) ?? str(l.name) ?? "";
      return {
        id,
        name: str(l.name) ?? id,
        base: str(l.base) ?? str(l.base_model) ?? null,
        model_type: str(l.model_type) ?? str(l.type) ?? null,
        path: str(l.path),
        size_bytes: num(l.size_bytes) ?? null,
        trigger_words: (Array.isArray(l.trigger_words) ? l.trigger_words : Array.isArray(l.trained_words) ? l.trained_words : [])
          .map((w: unknown) => str(w)?.trim())
          .filter((w): w is string => !!w),
      };
    })
    .filter((l) => l.id);
}

export function toCanGenerate(data: unknown): CanGenerate {
  if (!isObj(data)) return { ok: true, reason: null };
  const flag = data.can_generate ?? data.ok ?? data.fits ?? data.allowed;
  const ok = typeof flag === "boolean" ? flag : true;
  const reason = str(data.reason) ?? str(data.message) ?? str(data.detail) ?? null;
  return {
    ok,
    reason,
    required_gb: num(data.required_gb) ?? num(data.memory_gb) ?? num(data.needed_gb) ?? null,
    available_gb: num(data.available_gb) ?? num(data.free_gb) ?? null,
    plan: str(data.plan) ?? str(data.memory_plan) ?? null,
  };
}

export function toStyles(data: unknown): StylePreset[] {
  return listOf(data)
    .map((s) => (typeof s === "string" ? { id: s, name: s } : s))
    .filter(isObj)
    .map((s) => {
      const id = str(s.id) ?? str(s.name) ?? "";
      return { id, name: str(s.name) ?? id, prompt: str(s.prompt) ?? str(s.suffix), negative_prompt: str(s.negative_prompt) };
    })
    .filter((s) => s.id);
}

export function toDownloads(data: unknown): DownloadInfo[] {
  return listOf(data)
    .filter(isObj)
    .map((d) => ({
      id: str(d.id) ?? str(d.download_id) ?? str(d.job_id) ?? "",
      model_id: str(d.model_id) ?? null,
      job_id: str(d.job_id) ?? null,
      status: str(d.status),
      downloaded_bytes: num(d.downloaded_bytes),
      total_bytes: num(d.total_bytes) ?? null,
    }))
    .filter((d) => d.id);
}
