import { Link } from "react-router-dom";
import type { CanGenerate, MemoryPlan, ModelInfo } from "@/api/types";
import { formatGb } from "@/lib/utils";
import { Select } from "@/components/ui/input";
import { Badge } from "@/components/ui/misc";
import { formatPrice, isRemoteModel } from "@/pages/providers/api";

const CATEGORY_ORDER = ["fast", "quality", "specialized", "video"];
const CATEGORY_LABEL: Record<string, string> = {
  fast: "Fast",
  quality: "Quality",
  specialized: "Specialized",
  video: "Video",
  legacy: "Legacy",
};

/** A local model that runs without a download: a folder, a file, or a hub model already in the cache. */
export const isReady = (m: ModelInfo): boolean => !isRemoteModel(m) && m.downloaded === true;

/** Whether a model matches the Models page's search: every word in its name, id or family (case-insensitive). */
export function matchesSearch(m: ModelInfo, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const family = isRemoteModel(m) ? (m.provider_name ?? m.provider) : `${m.family ?? ""} ${m.type}`;
  const text = `${m.name} ${m.id} ${family}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/**
 * Models grouped for a list or a picker: current local families by category, then remote ones by provider,
 * then the legacy families (SD3, Mochi, CogVideoX, SVD) in one "Legacy" group at the end.
 */
export function groupByCategory<M extends ModelInfo>(models: M[]): [string, M[]][] {
  const groups = new Map<string, M[]>();
  for (const m of models) {
    const key = isRemoteModel(m) ? `remote:${m.provider_name ?? m.provider}` : m.legacy ? "legacy" : m.category;
    const list = groups.get(key) ?? [];
    list.push(m);
    groups.set(key, list);
  }
  const rank = (c: string) =>
    CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : c === "legacy" ? 200 : c.startsWith("remote:") ? 100 : 99;
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

export const categoryLabel = (c: string) =>
  c.startsWith("remote:") ? `${c.slice(7)} (remote)` : (CATEGORY_LABEL[c] ?? c[0].toUpperCase() + c.slice(1));

/** What a picker's option says after a local model's name: its sizes, and "ready" when it runs without a download. */
export function localOptionSuffix(m: ModelInfo): string {
  if (isRemoteModel(m)) return "";
  const sizes = m.memory_gb ? ` — ${formatGb(m.size_gb)} · ~${formatGb(m.memory_gb)} memory` : "";
  // "ready" before the sizes: a closed picker cuts the end of a long option off.
  return `${isReady(m) ? " · ready" : ""}${sizes}`;
}

export function modelHint(m: ModelInfo): string {
  const parts = [];
  if (isRemoteModel(m)) {
    parts.push(`runs on ${m.provider_name ?? m.provider}`);
    const price = formatPrice(m.price);
    if (price) parts.push(price);
    if (m.provider_configured === false) parts.push("no API key set");
    return parts.join(" · ");
  }
  if (m.size_gb) parts.push(m.source === "hub" ? `${formatGb(m.size_gb)} download` : `${formatGb(m.size_gb)} on disk`);
  if (m.memory_gb) parts.push(`needs ~${formatGb(m.memory_gb)}`);
  if (m.source === "hub") parts.push(m.downloaded ? "cached" : "not downloaded");
  else parts.push(m.downloaded ? "ready: local files" : "its files are missing");
  return parts.join(" · ");
}

export function ModelSelect({
  id,
  models,
  value,
  onChange,
  ...rest
}: {
  id?: string;
  models: ModelInfo[];
  value: string;
  onChange: (id: string) => void;
}) {
  return (
    <Select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid="model-select" {...rest}>
      {!value && <option value="">Choose a model…</option>}
      {groupByCategory(models).map(([cat, list]) => (
        <optgroup key={cat} label={categoryLabel(cat)}>
          {list.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
              {isRemoteModel(m) ? ` — ${formatPrice(m.price) ?? "price unknown"}${m.provider_configured === false ? " · no key" : ""}` : ""}
              {localOptionSuffix(m)}
            </option>
          ))}
        </optgroup>
      ))}
    </Select>
  );
}

const PLACEMENT_LABEL: Record<string, string> = {
  device: "whole on the device",
  model_offload: "model offload (parts moved to the device as needed)",
  sequential_offload: "sequential offload (slow)",
};

/** How the studio would place the model in memory, and why: "Plan: model offload (…): <reason>". */
export function planText(plan: MemoryPlan | null | undefined): string | null {
  if (!plan) return null;
  const placement = PLACEMENT_LABEL[plan.placement] ?? plan.placement.replace(/_/g, " ");
  return `Plan: ${placement}${plan.reason ? ` — ${plan.reason}` : ""}${plan.vae_tiling ? " (VAE tiling on)" : ""}.`;
}

/**
 * The can-generate answer beside the selector: a warning when the model may not fit, with the
 * memory plan; when it fits but only with offloading, the plan alone.
 */
export function FitWarning({ fit }: { fit: CanGenerate | null | undefined }) {
  if (!fit) return null;
  const plan = planText(fit.plan);
  if (fit.can_generate) {
    if (!plan || fit.plan?.placement === "device") return null;
    return (
      <p role="status" data-testid="fit-plan" className="text-xs text-muted-foreground">
        {plan}
      </p>
    );
  }
  return (
    <div role="status" data-testid="fit-warning" className="rounded-md bg-warning/15 px-2 py-1 text-xs text-warning">
      <p>
        This model may not fit in memory{fit.reason ? `: ${fit.reason}` : "."}
        {fit.required_gb ? ` Needs ~${formatGb(fit.required_gb)}` : ""}
        {fit.available_gb != null ? `, ${formatGb(fit.available_gb)} free.` : ""}
      </p>
      {plan && <p data-testid="fit-plan">{plan}</p>}
    </div>
  );
}

/** Provider badge and price of a remote model, beside the selector. */
export function RemoteModelBadge({ model }: { model: ModelInfo | undefined }) {
  if (!isRemoteModel(model)) return null;
  const price = formatPrice(model.price);
  return (
    <div className="flex flex-wrap items-center gap-1.5 text-xs" data-testid="remote-model-badge">
      <Badge tone="primary">{model.provider_name ?? model.provider}</Badge>
      {price && <Badge>{price}</Badge>}
      {model.provider_configured === false && (
        <span className="text-warning">
          No API key: add one on the{" "}
          <Link className="underline" to={`/providers/${model.provider}`}>
            provider page
          </Link>
          .
        </span>
      )}
    </div>
  );
}
