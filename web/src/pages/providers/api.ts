/**
 * Remote providers, their models and the cost ledger: types, query keys and fetchers for
 * /api/providers, the remote entries of /api/models, /api/costs and the budget confirmation
 * (kept beside the pages that use them, as the Civitai tab does).
 */
import { get, post, put } from "@/api/client";
import type { components } from "@/api/schema";
import type { Job, LocalModel, ModelInfo, RemoteModel as RemoteModelView, Sent } from "@/api/types";

type S = components["schemas"];

export type ProviderRecord = S["ProviderRecord"];
export type ProviderCheck = S["ProviderCheck"];
export type ProviderUpdate = S["ProviderUpdate"];
export type RemoteModel = S["RemoteModel"];
export type Price = S["Price"];
export type ParamSpec = S["ParamSpec"];

/** A remote model as `/api/models` lists it beside the local ones (RemoteEngine.describe_models). */
export type RemoteModelInfo = RemoteModelView;

/** One row of a cost breakdown; the row's key column (`day`, `provider`, `model` or `session_id`) depends on the breakdown. */
export type CostRow = Omit<Sent<S["DayCost"]>, "day"> & { day?: string; provider?: string | null; model?: string | null; session_id?: string | null };

/** GET /api/costs (hollywool/api/costs.py). */
export type CostSummary = Sent<S["CostSummary"]>;

export type DiscoverResult = Sent<S["DiscoverResult"]>;

export const providerKeys = {
  all: ["providers"] as const,
  one: (id: string) => ["providers", id] as const,
  models: (id: string) => ["providers", id, "models"] as const,
  remoteModels: (kind: "image" | "video" = "image") => ["remote-models", kind] as const,
  costs: (range: object = {}) => ["costs", range] as const,
};

export const providerApi = {
  list: async () => (await get<{ providers: ProviderRecord[] }>("/api/providers")).providers,
  get: (id: string) => get<ProviderRecord>(`/api/providers/${encodeURIComponent(id)}`),
  update: (id: string, body: ProviderUpdate) => put<ProviderRecord>(`/api/providers/${encodeURIComponent(id)}`, body),
  test: (id: string) => post<ProviderCheck>(`/api/providers/${encodeURIComponent(id)}/test`),
  discover: (id: string) => post<DiscoverResult>(`/api/providers/${encodeURIComponent(id)}/discover`),
  models: (id: string) => get<RemoteModel[]>(`/api/providers/${encodeURIComponent(id)}/models`),
  /** The remote entries of /api/models (enabled providers only; upscalers left out). */
  remoteModels: async (kind: "image" | "video" = "image"): Promise<RemoteModelInfo[]> => {
    const { models } = await get<{ models: (Sent<S["LocalModelInfo"]> | RemoteModelInfo)[] }>("/api/models", { kind });
    return models.filter((m): m is RemoteModelInfo => m.type === "remote");
  },
  costs: (range: { since?: string; until?: string } = {}) => get<CostSummary>("/api/costs", range),
  confirmJob: (id: string) => post<Job>(`/api/jobs/${encodeURIComponent(id)}/confirm`),
};

/** Remote categories the Image page offers (an image-to-image model needs a reference image). */
export const REMOTE_IMAGE_CATEGORIES = ["text-to-image", "image-to-image"];

/** How many reference images a remote model takes; 0 when /api/models does not say. */
export const maxReferenceImages = (m: RemoteModelInfo): number => Math.max(0, Math.floor(m.max_reference_images ?? 0));

/**
 * Whether the studio fills one of a remote model's inputs from this request field ("negative_prompt",
 * "seed", "strength", "reference_images"...): `studio_params` in /api/models, the server's own mapping.
 */
export const takesField = (model: RemoteModelInfo, field: string): boolean => Object.values(model.studio_params ?? {}).includes(field);

export const isRemoteModel = (m: ModelInfo | undefined | null): m is RemoteModelInfo => !!m && m.type === "remote";

/** The model when it is a local catalogue entry (it has defaults, sizes, a cache state); undefined for a remote one. */
export const localOf = (m: ModelInfo | undefined | null): LocalModel | undefined => (m && !isRemoteModel(m) ? m : undefined);

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
