import { describe, expect, it } from "vitest";
import { workerMemory, workerTone } from "./workers";

describe("worker lines", () => {
  it("says the memory in use of the budget, and restarts", () => {
    expect(workerMemory({ memory_used_gb: 0.42, memory_budget_gb: 79.6, restarts: 0 })).toBe("0.4 of 79.6 GB");
    expect(workerMemory({ memory_used_gb: 0, memory_budget_gb: 8, restarts: 2 })).toBe("0.0 of 8.0 GB · restarted 2×");
    expect(workerMemory({ memory_used_gb: null, memory_budget_gb: null, restarts: 0 })).toBe("");
  });

  it("colours a worker by its status", () => {
    expect(workerTone({ status: "idle" })).toBe("success");
    expect(workerTone({ status: "busy" })).toBe("primary");
    expect(workerTone({ status: "drained" })).toBe("warning");
    expect(workerTone({ status: "starting" })).toBe("default");
  });
});
