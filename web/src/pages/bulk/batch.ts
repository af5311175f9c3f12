/** Pure helpers of the batch view: live overlay on the REST items, cost estimate, a summary line. */
import type { Job } from "@/api/types";
import { formatUsd, type Price } from "@/pages/providers/api";
import type { BulkItem, BulkView } from "./api";

const ACTIVE = new Set(["queued", "running"]);

/**
 * Overlay what the websocket says about each child on the batch's REST items. A finished REST
 * item is kept as it is (its result is only in REST); an active one takes the live status, stage
 * and progress, so the grid moves between two refetches.
 */
export function mergeLive(items: BulkItem[], live: Record<string, Job | undefined>): BulkItem[] {
  return items.map((item) => {
    const j = live[item.job_id];
    if (!j || !ACTIVE.has(item.status)) return item;
    if (j.status === "queued" && item.status === "running") return item;
    return {
      ...item,
      status: j.status,
      stage: j.stage ?? item.stage,
      progress: typeof j.progress === "number" ? j.progress : item.progress,
      message: j.message ?? item.message ?? null,
      error: j.error ?? item.error,
    };
  });
}

/** A live signature of a batch: changes whenever the parent or one of its children changes state. */
export function batchSignature(jobs: Record<string, Job>, batchId: string | null): string {
  if (!batchId) return "";
  let sig = "";
  for (const j of Object.values(jobs)) {
    if (j.id === batchId || j.parent_id === batchId) sig += `${j.id}:${j.status}:${j.attempts ?? 0};`;
  }
  return sig;
}

/** The price of a run before it starts, when the model's price is per image (or per request). */
export function estimateCost(price: Price | null | undefined, prompts: number, imagesPerPrompt: number): number | null {
  if (!price || !prompts) return null;
  const unit = price.unit ?? "image";
  if (unit === "image") return price.unit_price * prompts * imagesPerPrompt;
  if (unit === "request") return price.unit_price * prompts;
  return null;
}

export function batchSummary(v: Pick<BulkView, "total" | "completed" | "failed" | "running" | "queued" | "cancelled">): string {
  const parts = [`${v.completed} of ${v.total} done`];
  if (v.running) parts.push(`${v.running} running`);
  if (v.queued) parts.push(`${v.queued} queued`);
  if (v.failed) parts.push(`${v.failed} failed`);
  if (v.cancelled) parts.push(`${v.cancelled} cancelled`);
  return parts.join(" · ");
}

export function costText(v: Pick<BulkView, "cost_usd" | "cost_estimated" | "kind">): string | null {
  if (v.kind !== "remote") return null;
  return `${formatUsd(v.cost_usd)}${v.cost_estimated ? " (estimated)" : ""}`;
}
