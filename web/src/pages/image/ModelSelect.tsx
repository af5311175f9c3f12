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
};

export function groupByCategory<M extends ModelInfo>(models: M[]): [string, M[]][] {
  const groups = new Map<string, M[]>();
  for (const m of models) {
    // Remote models group by provider, after the local ones.
    const key = isRemoteModel(m) ? `remote:${m.provider_name ?? m.provider}` : m.category;
    const list = groups.get(key) ?? [];
    list.push(m);
    groups.set(key, list);
  }
  const rank = (c: string) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : c.startsWith("remote:") ? 100 : 99);
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

export const categoryLabel = (c: string) =>
  c.startsWith("remote:") ? `${c.slice(7)} (remote)` : (CATEGORY_LABEL[c] ?? c[0].toUpperCase() + c.slice(1));

export function modelHint(m: ModelInfo): string {
  const parts = [];
  if (isRemoteModel(m)) {
    parts.push(`runs on ${m.provider_name ?? m.provider}`);
    const price = formatPrice(m.price);
    if (price) parts.push(price);
    if (m.provider_configured === false) parts.push("no API key set");
    return parts.join(" · ");
  }
  if (m.size_gb) parts.push(`${formatGb(m.size_gb)} download`);
  if (m.memory_gb) parts.push(`needs ~${formatGb(m.memory_gb)}`);
  if (m.source === "hub") parts.push(m.downloaded ? "cached" : "not downloaded");
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
              {!isRemoteModel(m) && m.memory_gb ? ` — ${formatGb(m.size_gb)} · ~${formatGb(m.memory_gb)} memory` : ""}
              {!isRemoteModel(m) && m.source === "hub" && m.downloaded ? " ✓" : ""}
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
