import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Check, X } from "lucide-react";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { fetchers, qk } from "@/api/queries";
import type { Job } from "@/api/types";
import { jobTitle } from "@/components/jobs";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { Card, Empty, ErrorText, ProgressBar } from "@/components/ui/misc";
import { Tabs } from "@/components/ui/tabs";
import { isFinished } from "@/live/jobsReducer";
import { useLive } from "@/live/store";
import { bulkApi, bulkKeys } from "@/pages/bulk/api";
import { formatUsd, providerApi, providerKeys } from "@/pages/providers/api";
import { budgetState, costLines, parseBudget, type CostDimension } from "./costs";

const RANGES = [
  { id: "7", label: "Last 7 days" },
  { id: "30", label: "Last 30 days" },
  { id: "all", label: "All time" },
];

function sinceFor(range: string): string | undefined {
  if (range === "all") return undefined;
  const d = new Date(Date.now() - (Number(range) - 1) * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** Settings: what remote jobs cost, the daily budget, and jobs waiting for a budget confirmation. */
export function CostsPanel() {
  const qc = useQueryClient();
  const [range, setRange] = useState("30");
  const [by, setBy] = useState<CostDimension>("day");
  const since = sinceFor(range);
  const { data: costs, error } = useQuery({ queryKey: providerKeys.costs({ since }), queryFn: () => providerApi.costs({ since }) });
  const { data: sessions } = useQuery({ queryKey: qk.sessions, queryFn: fetchers.sessions, enabled: by === "session" });
  const { data: bulkSessions } = useQuery({ queryKey: bulkKeys.sessions, queryFn: bulkApi.sessions, enabled: by === "session" });

  // A remote job that ends adds to the ledger: refresh the sums then, no polling.
  const finishedRemote = useLive((s) => Object.values(s.jobs).filter((j) => j.kind === "remote" && isFinished(j.status)).length);
  useEffect(() => {
    if (finishedRemote) void qc.invalidateQueries({ queryKey: ["costs"] });
  }, [finishedRemote, qc]);

  const names = useMemo(() => Object.fromEntries([...(sessions ?? []), ...(bulkSessions ?? [])].map((s) => [s.id, s.name])), [sessions, bulkSessions]);
  const lines = costLines(costs, by, names);

  return (
    <Card className="space-y-4 p-4" data-testid="costs-panel" aria-label="Costs">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">Remote costs</h2>
        <Select aria-label="Period" className="w-auto" value={range} onChange={(e) => setRange(e.target.value)} data-testid="costs-range">
          {RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </Select>
      </div>
      <ErrorText error={error} />
      <BudgetEditor current={costs?.daily_budget_usd ?? null} state={budgetState(costs)} />
      <AwaitingConfirmation />
      <div className="space-y-2">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <Tabs
            label="Group costs by"
            value={by}
            onChange={(v) => setBy(v as CostDimension)}
            items={[
              { value: "day", label: "Day" },
              { value: "provider", label: "Provider" },
              { value: "model", label: "Model" },
              { value: "session", label: "Session" },
            ]}
          />
          {costs && (
            <span className="text-sm" data-testid="costs-total">
              Total <span className="font-semibold tabular-nums">{formatUsd(costs.total_usd)}</span> ·{" "}
              {costs.count} job{costs.count === 1 ? "" : "s"}
            </span>
          )}
        </div>
        {costs && lines.length === 0 ? (
          <Empty>No remote job has cost anything in this period.</Empty>
        ) : (
          <table className="w-full text-sm" data-testid="costs-table">
            <thead className="text-left text-xs text-muted-foreground">
              <tr>
                <th className="py-1 pr-3 font-medium">{by === "day" ? "Day" : by === "provider" ? "Provider" : by === "model" ? "Model" : "Session"}</th>
                <th className="py-1 pr-3 text-right font-medium">Jobs</th>
                <th className="py-1 pr-3 text-right font-medium">Cost</th>
                <th className="w-1/3 py-1 font-medium">
                  <span className="sr-only">Share</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l) => (
                <tr key={l.key} className="border-t border-border" data-testid="costs-row">
                  <td className="max-w-0 truncate py-1.5 pr-3" title={l.label}>
                    {l.label}
                    {l.note && <span className="ml-1 text-xs text-muted-foreground">({l.note})</span>}
                  </td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{l.count}</td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{l.amount}</td>
                  <td className="py-1.5">
                    <ProgressBar value={l.share} label={`${l.share}% of the total`} className="h-1.5" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Card>
  );
}

function BudgetEditor({ current, state }: { current: number | null; state: ReturnType<typeof budgetState> }) {
  const qc = useQueryClient();
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setText(current == null ? "" : String(current)), [current]);
  const save = useMutation({
    mutationFn: (value: number | null) => fetchers.saveSettings({ daily_budget_usd: value }),
    onSuccess: (p) => {
      qc.setQueryData(qk.settings, p);
      void qc.invalidateQueries({ queryKey: ["costs"] });
      setSaved(true);
    },
    onError: (e) => setError(e instanceof Error ? e.message : String(e)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const v = parseBudget(text);
    if (v !== null && typeof v === "object") return setError(v.error);
    setError(null);
    save.mutate(v);
  };
  return (
    <form onSubmit={submit} className="space-y-2" noValidate>
      <div className="flex flex-wrap items-start gap-2">
        <Field className="w-56" label="Daily budget (USD)" name="daily_budget_usd" error={error} hint="A remote job that would pass it waits for your confirmation.">
          <Input data-testid="setting-daily_budget_usd" inputMode="decimal" value={text} placeholder="no budget" onChange={(e) => setText(e.target.value)} />
        </Field>
        <Button type="submit" variant="outline" disabled={save.isPending} data-testid="save-budget" className="mt-5">
          Save budget
        </Button>
        {saved && (
          <span role="status" className="mt-7 text-sm text-success">
            Saved
          </span>
        )}
      </div>
      {state && (
        <div className="space-y-1" data-testid="budget-state" data-over={state.over}>
          <p className={`text-sm ${state.over ? "text-destructive" : ""}`}>{state.text}</p>
          {state.percent != null && <ProgressBar value={state.percent} label="Today's budget spent" className="h-1.5" />}
        </div>
      )}
    </form>
  );
}

/** Remote jobs held back by the daily budget: confirm to run them anyway, or cancel. */
function AwaitingConfirmation() {
  const qc = useQueryClient();
  const { data: page } = useQuery({ queryKey: qk.jobs({ active_only: true, awaiting: true }), queryFn: () => fetchers.jobs({ active_only: true, kind: "remote", limit: 200 }) });
  const live = useLive((s) => s.jobs);
  const waiting = useMemo(() => {
    const byId = new Map<string, Job>();
    for (const j of page?.items ?? []) byId.set(j.id, j);
    for (const j of Object.values(live)) if (j.kind === "remote") byId.set(j.id, { ...byId.get(j.id), ...j });
    return [...byId.values()].filter((j) => j.stage === "awaiting_confirmation" && (j.status === "running" || j.status === "queued"));
  }, [page, live]);
  const done = () => void qc.invalidateQueries({ queryKey: ["jobs"] });
  const confirmJob = useMutation({ mutationFn: providerApi.confirmJob, onSettled: done });
  const cancel = useMutation({ mutationFn: fetchers.cancelJob, onSettled: done });
  if (waiting.length === 0) return null;
  return (
    <div className="space-y-2 rounded-md border border-warning/40 bg-warning/10 p-3" data-testid="awaiting-confirmation">
      <h3 className="text-sm font-semibold">Waiting for your confirmation ({waiting.length})</h3>
      <ul className="space-y-1.5">
        {waiting.map((j) => (
          <li key={j.id} className="flex flex-wrap items-center justify-between gap-2 text-sm" data-testid="awaiting-job">
            <div className="min-w-0">
              <Link to={`/queue/${j.id}`} className="font-medium hover:underline">
                {jobTitle(j)}
              </Link>
              <div className="text-xs text-muted-foreground">{j.message ?? String(j.params.model ?? "")}</div>
            </div>
            <div className="flex gap-1">
              <Button size="sm" onClick={() => confirmJob.mutate(j.id)} disabled={confirmJob.isPending} data-testid="confirm-job">
                <Check className="h-3.5 w-3.5" aria-hidden /> Run anyway
              </Button>
              <Button size="sm" variant="outline" onClick={() => cancel.mutate(j.id)} disabled={cancel.isPending}>
                <X className="h-3.5 w-3.5" aria-hidden /> Cancel
              </Button>
            </div>
          </li>
        ))}
      </ul>
      <ErrorText error={confirmJob.error ?? cancel.error} />
    </div>
  );
}
