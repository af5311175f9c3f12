/** The costs view's arithmetic: ledger rows to labelled table rows, and the day's budget state. */
import { formatUsd, type CostRow, type CostSummary } from "@/pages/providers/api";

export type CostDimension = "day" | "provider" | "model" | "session";

export interface CostLine {
  key: string;
  label: string;
  total: number;
  amount: string;
  count: number;
  /** Share of the period's total, 0..100 (for the bar). */
  share: number;
  note: string | null;
}

const FIELD: Record<CostDimension, keyof CostRow> = { day: "day", provider: "provider", model: "model", session: "session_id" };
const LIST: Record<CostDimension, keyof CostSummary> = { day: "by_day", provider: "by_provider", model: "by_model", session: "by_session" };

/** Rows of one breakdown: days newest first, everything else most expensive first. */
export function costLines(summary: CostSummary | null | undefined, by: CostDimension, names: Record<string, string> = {}): CostLine[] {
  if (!summary) return [];
  const rows = (summary[LIST[by]] as CostRow[] | undefined) ?? [];
  const total = summary.total_usd || rows.reduce((s, r) => s + r.total_usd, 0);
  const lines = rows.map((r) => {
    const raw = r[FIELD[by]];
    const key = raw == null || raw === "" ? "" : String(raw);
    const label = by === "session" ? (key ? (names[key] ?? `Session ${key.slice(0, 8)}`) : "No session") : key || "–";
    const notes = [];
    if (r.estimated) notes.push(r.estimated === r.count ? "estimated" : `${r.estimated} estimated`);
    if (r.pending) notes.push(`${r.pending} pending`);
    return {
      key: key || "none",
      label,
      total: r.total_usd,
      amount: formatUsd(r.total_usd),
      count: r.count,
      share: total > 0 ? Math.round((r.total_usd / total) * 1000) / 10 : 0,
      note: notes.length ? notes.join(", ") : null,
    };
  });
  return by === "day" ? lines.sort((a, b) => b.key.localeCompare(a.key)) : lines.sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
}

export interface BudgetState {
  spent: number;
  budget: number | null;
  left: number | null;
  /** 0..100 of the budget spent today (capped), null without a budget. */
  percent: number | null;
  over: boolean;
  text: string;
}

export function budgetState(summary: Pick<CostSummary, "today_usd" | "daily_budget_usd" | "budget_left_usd"> | null | undefined): BudgetState | null {
  if (!summary) return null;
  const spent = summary.today_usd ?? 0;
  const budget = summary.daily_budget_usd;
  if (budget == null) return { spent, budget: null, left: null, percent: null, over: false, text: `${formatUsd(spent)} spent today · no daily budget` };
  const left = summary.budget_left_usd ?? Math.max(budget - spent, 0);
  const percent = budget > 0 ? Math.min(100, Math.round((spent / budget) * 100)) : 100;
  const over = spent >= budget;
  return { spent, budget, left, percent, over, text: `${formatUsd(spent)} of ${formatUsd(budget)} spent today · ${formatUsd(left)} left` };
}

/** A budget field's text to the value PUT /api/settings takes (null clears it); a string is an error. */
export function parseBudget(text: string): number | null | { error: string } {
  const t = text.trim().replace(/^\$/, "");
  if (!t) return null;
  const n = Number(t);
  if (!Number.isFinite(n) || n < 0) return { error: "A number of dollars, 0 or more (blank: no budget)." };
  return Math.round(n * 100) / 100;
}
