import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import type { ParamSpec } from "./api";

const labelOf = (name: string) => name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

/**
 * A remote model's own parameters (from its input schema), as form fields. Only values the user
 * sets are kept in `value`; an untouched field shows the provider's default and is not sent.
 */
export function ProviderParamFields({
  specs,
  value,
  onChange,
  errors = {},
}: {
  specs: ParamSpec[];
  value: Record<string, unknown>;
  onChange: (v: Record<string, unknown>) => void;
  errors?: Partial<Record<string, string>>;
}) {
  if (specs.length === 0) return null;
  const set = (name: string, v: unknown) => {
    const next = { ...value };
    if (v === undefined || v === "") delete next[name];
    else next[name] = v;
    onChange(next);
  };
  return (
    <div className="grid grid-cols-2 gap-2" data-testid="provider-params">
      {specs.map((spec) => {
        const current = value[spec.name];
        const shown = current ?? spec.default ?? "";
        const error = errors[`provider_params.${spec.name}`] ?? errors[spec.name];
        const hint = spec.description || undefined;
        if (spec.enum?.length) {
          return (
            <Field key={spec.name} label={labelOf(spec.name)} hint={hint} error={error}>
              <Select value={String(shown)} onChange={(e) => set(spec.name, spec.enum?.find((o) => String(o) === e.target.value))}>
                {spec.default == null && <option value="">Provider default</option>}
                {spec.enum.map((o) => (
                  <option key={String(o)} value={String(o)}>
                    {String(o)}
                  </option>
                ))}
              </Select>
            </Field>
          );
        }
        if (spec.type === "boolean") {
          return (
            <label key={spec.name} className="flex items-center gap-2 text-xs">
              <input type="checkbox" checked={Boolean(shown)} onChange={(e) => set(spec.name, e.target.checked)} />
              {labelOf(spec.name)}
            </label>
          );
        }
        const numeric = spec.type === "number" || spec.type === "integer";
        return (
          <Field key={spec.name} label={labelOf(spec.name)} hint={hint} error={error}>
            <Input
              type={numeric ? "number" : "text"}
              min={spec.minimum ?? undefined}
              max={spec.maximum ?? undefined}
              step={spec.type === "integer" ? 1 : numeric ? "any" : undefined}
              value={String(shown)}
              onChange={(e) => set(spec.name, numeric ? (e.target.value === "" ? undefined : Number(e.target.value)) : e.target.value)}
            />
          </Field>
        );
      })}
    </div>
  );
}
