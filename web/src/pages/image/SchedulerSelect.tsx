import type { LocalModel, SchedulerInfo } from "@/api/types";
import { Select } from "@/components/ui/input";

/** Whether `name` is a scheduler the model's family offers (no model, or no name: yes). */
export function offersScheduler(schedulers: SchedulerInfo[] | undefined, model: { type?: string } | undefined, name: string | null): boolean {
  if (!name || !model?.type || !schedulers) return true;
  return schedulers.some((s) => s.name === name && s.model_types.includes(model.type!));
}

/** The sampler picker: "model default" (null) or a scheduler from GET /api/models/schedulers offered for the model's family. */
export function SchedulerSelect({
  schedulers,
  modelType,
  value,
  onChange,
}: {
  schedulers: SchedulerInfo[];
  modelType: LocalModel["type"] | undefined;
  value: string | null;
  onChange: (v: string | null) => void;
}) {
  const offered = modelType ? schedulers.filter((s) => s.model_types.includes(modelType)) : schedulers;
  // A restored scheduler the list does not hold (yet) stays visible rather than silently becoming the default.
  const unknown = value && !offered.some((s) => s.name === value);
  return (
    <Select id="scheduler" data-testid="scheduler-select" value={value ?? ""} onChange={(e) => onChange(e.target.value || null)}>
      <option value="">Model default</option>
      {offered.map((s) => (
        <option key={s.name} value={s.name}>
          {s.label}
        </option>
      ))}
      {unknown && <option value={value}>{value}</option>}
    </Select>
  );
}
