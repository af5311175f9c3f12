import { describe, expect, it } from "vitest";
import type { CostSummary } from "@/pages/providers/api";
import { budgetState, costLines, parseBudget } from "./costs";

const summary: CostSummary = {
  total_usd: 0.5,
  count: 12,
  by_day: [
    { day: "2026-05-01", total_usd: 0.1, count: 2, estimated: 0, pending: 0 },
    { day: "2026-05-03", total_usd: 0.4, count: 10, estimated: 10, pending: 1 },
  ],
  by_provider: [
    { provider: "fal", total_usd: 0.1, count: 2, estimated: 1, pending: 0 },
    { provider: "krea", total_usd: 0.4, count: 10, estimated: 0, pending: 0 },
  ],
  by_model: [],
  by_session: [
    { session_id: "s1abcdef99", total_usd: 0.3, count: 5, estimated: 0, pending: 0 },
    { session_id: null, total_usd: 0.2, count: 7, estimated: 0, pending: 0 },
  ],
  today: "2026-05-03",
  today_usd: 0.4,
  daily_budget_usd: 1,
  budget_left_usd: 0.6,
  currency: "USD",
};

describe("costLines", () => {
  it("lists days newest first with amounts, shares and notes", () => {
    const lines = costLines(summary, "day");
    expect(lines.map((l) => l.label)).toEqual(["2026-05-03", "2026-05-01"]);
    expect(lines[0]).toMatchObject({ amount: "$0.40", count: 10, share: 80, note: "estimated, 1 pending" });
    expect(lines[1]).toMatchObject({ amount: "$0.10", share: 20, note: null });
  });

  it("orders other breakdowns by cost and names sessions", () => {
    expect(costLines(summary, "provider").map((l) => [l.label, l.note])).toEqual([
      ["krea", null],
      ["fal", "1 estimated"],
    ]);
    expect(costLines(summary, "session", { s1abcdef99: "Foxes" }).map((l) => l.label)).toEqual(["Foxes", "No session"]);
    expect(costLines(summary, "session").map((l) => l.label)[0]).toBe("Session s1abcdef");
  });

  it("is empty without data", () => {
    expect(costLines(undefined, "day")).toEqual([]);
    expect(costLines(summary, "model")).toEqual([]);
  });
});

describe("budgetState", () => {
  it("says what is spent and left against the budget", () => {
    expect(budgetState(summary)).toMatchObject({ percent: 40, over: false, text: "$0.40 of $1.00 spent today · $0.60 left" });
    expect(budgetState({ today_usd: 1.5, daily_budget_usd: 1, budget_left_usd: 0 })).toMatchObject({ percent: 100, over: true });
    expect(budgetState({ today_usd: 0.2, daily_budget_usd: null, budget_left_usd: null })?.text).toBe("$0.20 spent today · no daily budget");
  });
});

describe("parseBudget", () => {
  it("takes dollars, blank for none, and refuses the rest", () => {
    expect(parseBudget("")).toBeNull();
    expect(parseBudget("$5")).toBe(5);
    expect(parseBudget(" 2.499 ")).toBe(2.5);
    expect(parseBudget("-1")).toHaveProperty("error");
    expect(parseBudget("abc")).toHaveProperty("error");
  });
});
