import type { CanGenerate, ModelInfo } from "@/api/types";
import { formatGb } from "@/lib/utils";
import { Select } from "@/components/ui/input";

const CATEGORY_ORDER = ["fast", "quality", "specialized", "video"];
const CATEGORY_LABEL: Record<string, string> = {
  fast: "Fast",
  quality: "Quality",
  specialized: "Specialized",
  video: "Video",
};

export function groupByCategory(models: ModelInfo[]): [string, ModelInfo[]][] {
  const groups = new Map<string, ModelInfo[]>();
  for (const m of models) {
    const list = groups.get(m.category) ?? [];
    list.push(m);
    groups.set(m.category, list);
  }
  const rank = (c: string) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : 99);
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

export const categoryLabel = (c: string) => CATEGORY_LABEL[c] ?? c[0].toUpperCase() + c.slice(1);

export function modelHint(m: ModelInfo): string {
  const parts = [];
  if (m.size_gb) parts.push(`${formatGb(m.size_gb)} download`);
  if (m.memory_gb) parts.push(`needs ~${formatGb(m.memory_gb)}`);
  if (m.cached === true) parts.push("cached");
  else if (m.cached === false && m.source !== "folder" && m.source !== "file") parts.push("not downloaded");
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
              {m.memory_gb ? ` — ${formatGb(m.size_gb)} · ~${formatGb(m.memory_gb)} memory` : ""}
              {m.cached === true ? " ✓" : ""}
            </option>
          ))}
        </optgroup>
      ))}
    </Select>
  );
}

export function FitWarning({ fit }: { fit: CanGenerate | null | undefined }) {
  if (!fit || fit.ok) return null;
  return (
    <p role="status" data-testid="fit-warning" className="rounded-md bg-warning/15 px-2 py-1 text-xs text-warning">
      This model may not fit in memory{fit.reason ? `: ${fit.reason}` : "."}
      {fit.required_gb ? ` Needs ~${formatGb(fit.required_gb)}` : ""}
      {fit.available_gb != null ? `, ${formatGb(fit.available_gb)} free.` : ""}
    </p>
  );
}
