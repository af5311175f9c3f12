/**
 * Remote providers, their models and the cost ledger: types, query keys and fetchers for
 * /api/providers, the remote entries of /api/models, /api/costs and the budget confirmation
 * (kept beside the pages that use them, as the Civitai tab does).
 */
import { get, post, put } from "@/api/client";
import type { components } from "@/api/schema";
import type { Job, ModelInfo } from "@/api/types";

type S = components["schemas"];

export type ProviderRecord = S["ProviderRecord"];
export type ProviderCheck = S["ProviderCheck"];
export type ProviderUpdate = S["ProviderUpdate"];
export type RemoteModel = S["RemoteModel"];
export type Price = S["Price"];
export type ParamSpec = S["ParamSpec"];

/** A remote model as `/api/models` lists it beside the local ones (RemoteEngine.describe_models). */
export interface RemoteModelInfo extends ModelInfo {
  remote: true;
  provider: string;
  provider_name?: string;
  provider_configured?: boolean;
  model_id: string;
  price?: Price | null;
  params?: ParamSpec[];
  thumbnail_url?: string | null;
  /** How many input images the model takes (0: none), from its input schema (engines/remote/images.py). */
  max_reference_images?: number;
}

export interface CostRow {
  total_usd: number;
  count: number;
  estimated: number;
  pending: number;
  day?: string;
  provider?: string;
  model?: string;
  session_id?: string | null;
}

/** GET /api/costs (hollywool/api/costs.py). */
export interface CostSummary {
  total_usd: number;
  count: number;
  by_day: CostRow[];
  by_provider: CostRow[];
  by_model: CostRow[];
  by_session: CostRow[];
  today: string;
  today_usd: number;
  daily_budget_usd: number | null;
  budget_left_usd: number | null;
  currency: string;
}

export interface DiscoverResult {
  provider: string;
  count: number;
  models: RemoteModel[];
}

export const providerKeys = {
  all: ["providers"] as const,
  one: (id: string) => ["providers", id] as const,
  models: (id: string) => ["providers", id, "models"] as const,
  remoteModels: (kind: "image" | "video" = "image") => ["remote-models", kind] as const,
  costs: (range: object = {}) => ["costs", range] as const,
};

export const providerApi = {
  list: () => get<ProviderRecord[]>("/api/providers"),
  get: (id: string) => get<ProviderRecord>(`/api/providers/${encodeURIComponent(id)}`),
  update: (id: string, body: ProviderUpdate) => put<ProviderRecord>(`/api/providers/${encodeURIComponent(id)}`, body),
  test: (id: string) => post<ProviderCheck>(`/api/providers/${encodeURIComponent(id)}/test`),
  discover: (id: string) => post<DiscoverResult>(`/api/providers/${encodeURIComponent(id)}/discover`),
  models: (id: string) => get<RemoteModel[]>(`/api/providers/${encodeURIComponent(id)}/models`),
  /** The remote entries of /api/models (enabled providers only; upscalers left out). */
  remoteModels: async (kind: "image" | "video" = "image"): Promise<RemoteModelInfo[]> => {
    const all = await get<Record<string, unknown>[]>("/api/models", { kind });
    return (Array.isArray(all) ? all : []).filter((m) => m.remote === true && typeof m.id === "string") as unknown as RemoteModelInfo[];
  },
  costs: (range: { since?: string; until?: string } = {}) => get<CostSummary>("/api/costs", range),
  confirmJob: (id: string) => post<Job>(`/api/jobs/${encodeURIComponent(id)}/confirm`),
};

/** Remote categories the Image page offers (an image-to-image model needs a reference image). */
export const REMOTE_IMAGE_CATEGORIES = ["text-to-image", "image-to-image"];

/** How many reference images a remote model takes; 0 when /api/models does not say. */
export const maxReferenceImages = (m: RemoteModelInfo): number => Math.max(0, Math.floor(m.max_reference_images ?? 0));

export const isRemoteModel = (m: ModelInfo | undefined | null): m is RemoteModelInfo =>
  !!m && (m as Partial<RemoteModelInfo>).remote === true;

const UNIT_LABEL: Record<string, string> = { image: "image", megapixels: "MP", second: "second", request: "request", video: "video" };

/** "$0.003" for fractions of a cent, "$1.25" otherwise; "–" when unknown. */
export function formatUsd(amount: number | null | undefined): string {
  if (amount == null || !Number.isFinite(amount)) return "–";
  if (amount === 0) return "$0.00";
  const abs = Math.abs(amount);
  const digits = abs < 0.01 ? 4 : abs < 1 ? 3 : 2;
  const text = abs.toFixed(digits).replace(/(\.\d{2}\d*?)0+$/, "$1");
  return `${amount < 0 ? "-" : ""}$${text}`;
}

/** "$0.03 / image", "$0.1 / second"; null when the provider publishes no price. */
export function formatPrice(price: Price | null | undefined): string | null {
  if (!price) return null;
  const unit = UNIT_LABEL[price.unit ?? "image"] ?? price.unit;
  const amount = price.currency && price.currency !== "USD" ? `${price.unit_price} ${price.currency}` : formatUsd(price.unit_price);
  return `${amount} / ${unit}`;
}

/** Search (name, id, description, tags) and category filter of a provider's discovered models. */
export function filterModels(models: RemoteModel[], query: string, category: string): RemoteModel[] {
  const needle = query.trim().toLowerCase();
  return models.filter((m) => {
    if (category && m.category !== category) return false;
    if (!needle) return true;
    return `${m.model_id} ${m.name} ${m.description ?? ""} ${(m.tags ?? []).join(" ")}`.toLowerCase().includes(needle);
  });
}

export function categoriesOf(models: RemoteModel[]): string[] {
  return [...new Set(models.map((m) => m.category ?? "other"))].sort();
}
