import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { fieldErrors } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { Preferences } from "@/api/types";
import { useTheme, type Theme } from "@/lib/theme";
import { useRequestLimits } from "@/lib/validation";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Card, ErrorText, PageHeader } from "@/components/ui/misc";
import { ModelSelect } from "./image/ModelSelect";
import { useModels } from "./ModelsPage";
import { CostsPanel } from "./settings/CostsPanel";
import { ServiceUrlsPanel } from "./settings/ServiceUrlsPanel";
import { WorkersPanel } from "./settings/WorkersPanel";

type Draft = Partial<Record<keyof Preferences, string | boolean>>;

const NUMERIC: (keyof Preferences)[] = ["default_steps", "default_guidance", "default_width", "default_height", "max_log_entries"];

export function validateSettings(d: Draft): Record<string, string> {
  const e: Record<string, string> = {};
  const n = (k: keyof Preferences) => (d[k] === "" || d[k] == null ? null : Number(d[k]));
  const steps = n("default_steps");
  if (steps != null && !(Number.isInteger(steps) && steps >= 1 && steps <= 200)) e.default_steps = "Between 1 and 200.";
  const g = n("default_guidance");
  if (g != null && !(g >= 0 && g <= 50)) e.default_guidance = "Between 0 and 50.";
  for (const k of ["default_width", "default_height"] as const) {
    const v = n(k);
    if (v != null && !(Number.isInteger(v) && v >= 64 && v <= 4096)) e[k] = "Between 64 and 4096, or empty for the model's own size.";
  }
  const m = n("max_log_entries");
  if (m == null || !(Number.isInteger(m) && m >= 10 && m <= 100_000)) e.max_log_entries = "Between 10 and 100000.";
  return e;
}

export function SettingsPage() {
  const qc = useQueryClient();
  const { data: prefs, error } = useQuery({ queryKey: qk.settings, queryFn: fetchers.settings });
  const { data: models } = useModels();
  const [theme, setTheme] = useTheme();
  const limits = useRequestLimits();
  const [draft, setDraft] = useState<Draft>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);

  const loaded = useRef(false);
  useEffect(() => {
    // Fill the form once: a later refetch must not overwrite what the user is typing.
    if (!prefs || loaded.current) return;
    loaded.current = true;
    setDraft({
        default_model: prefs.default_model ?? "",
        default_steps: prefs.default_steps?.toString() ?? "",
        default_guidance: prefs.default_guidance?.toString() ?? "",
        default_width: prefs.default_width?.toString() ?? "",
        default_height: prefs.default_height?.toString() ?? "",
        max_log_entries: String(prefs.max_log_entries),
        request_logging: prefs.request_logging,
        auto_name_sessions: prefs.auto_name_sessions,
      });
  }, [prefs]);

  const save = useMutation({
    mutationFn: (changes: Partial<Preferences>) => fetchers.saveSettings(changes),
    onSuccess: (p) => {
      qc.setQueryData(qk.settings, p);
      setSaved(true);
      setErrors({});
    },
    onError: (e) => setErrors(fieldErrors(e)),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const v = validateSettings(draft);
    setErrors(v);
    if (Object.keys(v).length) return;
    const changes: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(draft)) {
      if (NUMERIC.includes(k as keyof Preferences)) changes[k] = val === "" ? null : Number(val);
      else if (k === "default_model") changes[k] = val || null;
      else changes[k] = val;
    }
    save.mutate(changes as Partial<Preferences>);
  };

  const chooseTheme = (t: Theme) => {
    setTheme(t);
    fetchers.saveSettings({ theme: t }).then((p) => qc.setQueryData(qk.settings, p), () => {});
  };

  const num = (k: keyof Preferences, label: string, extra: Record<string, unknown> = {}) => (
    <Field label={label} error={errors[k]} name={k}>
      <Input
        type="number"
        data-testid={`setting-${k}`}
        value={String(draft[k] ?? "")}
        onChange={(e) => setDraft((d) => ({ ...d, [k]: e.target.value }))}
        {...extra}
      />
    </Field>
  );

  return (
    <div className="max-w-3xl space-y-4">
      <PageHeader title="Settings" />
      <ErrorText error={error} />
      <Card className="space-y-3 p-4">
        <h2 className="text-sm font-semibold">Appearance</h2>
        <div role="radiogroup" aria-label="Theme" className="flex gap-2" data-testid="settings-theme">
          {(["light", "dark", "system"] as const).map((t) => (
            <label key={t} className="flex items-center gap-1.5 text-sm">
              <input type="radio" name="theme" checked={theme === t} onChange={() => chooseTheme(t)} />
              {t[0].toUpperCase() + t.slice(1)}
            </label>
          ))}
        </div>
      </Card>
      <form onSubmit={submit} noValidate>
        <Card className="space-y-4 p-4">
          <div>
            <h2 className="text-sm font-semibold">Generation defaults</h2>
            <p className="text-xs text-muted-foreground">A new Image page form starts with these; a change here applies to the form the next time it opens.</p>
          </div>
          <div className="grid gap-4 sm:grid-cols-2">
            {models ? (
              <Field label="Default model" error={errors.default_model} name="default_model">
                <ModelSelect
                  models={models.filter((m) => m.category !== "video")}
                  value={String(draft.default_model ?? "")}
                  onChange={(id) => setDraft((d) => ({ ...d, default_model: id }))}
                />
              </Field>
            ) : (
              <Field label="Default model" error={errors.default_model} name="default_model">
                <Input value={String(draft.default_model ?? "")} onChange={(e) => setDraft((d) => ({ ...d, default_model: e.target.value }))} />
              </Field>
            )}
            {num("default_steps", "Default steps", { min: limits?.steps.min, max: limits?.steps.max, placeholder: "model's own" })}
            {num("default_guidance", "Default guidance", { step: 0.5, min: limits?.guidance_scale.min, max: limits?.guidance_scale.max, placeholder: "model's own" })}
            {num("default_width", "Default width", { min: 64, max: 4096, step: 8, placeholder: "model's own" })}
            {num("default_height", "Default height", { min: 64, max: 4096, step: 8, placeholder: "model's own" })}
          </div>
          <h2 className="pt-2 text-sm font-semibold">Request logs</h2>
          <div className="grid gap-4 sm:grid-cols-2">
            {num("max_log_entries", "Maximum log entries", { min: 10, max: 100000 })}
            <label className="flex items-center gap-2 self-end pb-2 text-sm">
              <input
                type="checkbox"
                checked={draft.request_logging === true}
                onChange={(e) => setDraft((d) => ({ ...d, request_logging: e.target.checked }))}
              />
              Record API requests (<Link to="/logs" className="text-primary hover:underline">view logs</Link>)
            </label>
            <label className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={draft.auto_name_sessions === true}
                onChange={(e) => setDraft((d) => ({ ...d, auto_name_sessions: e.target.checked }))}
              />
              Name new sessions from their first prompt
            </label>
          </div>
          {errors[""] && <ErrorText error={new Error(errors[""])} />}
          <div className="flex items-center justify-end gap-3">
            {saved && (
              <span role="status" className="text-sm text-success">
                Saved
              </span>
            )}
            <Button type="submit" disabled={save.isPending} data-testid="save-settings">
              Save
            </Button>
          </div>
        </Card>
      </form>
      <WorkersPanel />
      <ServiceUrlsPanel />
      <CostsPanel />
    </div>
  );
}
