import type { WorkerInfo } from "@/api/types";

/** A worker's memory as a line: "0.4 of 79.6 GB", or "" before it reports. */
export function workerMemory(w: Pick<WorkerInfo, "memory_used_gb" | "memory_budget_gb" | "restarts">): string {
  const memory = w.memory_budget_gb == null ? "" : `${(w.memory_used_gb ?? 0).toFixed(1)} of ${w.memory_budget_gb.toFixed(1)} GB`;
  const restarts = w.restarts ? `restarted ${w.restarts}×` : "";
  return [memory, restarts].filter(Boolean).join(" · ");
}

export function workerTone(w: Pick<WorkerInfo, "status">): "success" | "primary" | "warning" | "default" {
  return w.status === "idle" ? "success" : w.status === "busy" ? "primary" : w.status === "drained" ? "warning" : "default";
}
