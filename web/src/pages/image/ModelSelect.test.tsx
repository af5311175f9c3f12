import { renderToStaticMarkup } from "react-dom/server";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { canGenerate } from "@/test/fixtures";
import { FitWarning, planText } from "./ModelSelect";

const plan = {
  placement: "model_offload",
  vae_tiling: false,
  required_bytes: 20e9,
  available_bytes: 8e9,
  reason: "needs 20 GB, 8 GB free",
  precision: "bf16",
  fp8_components: [],
  device_bytes: 20e9,
  fits: true,
  best_bytes: 20e9,
};
const html = (fit: ReturnType<typeof canGenerate>) =>
  renderToStaticMarkup(
    <MemoryRouter>
      <FitWarning fit={fit} />
    </MemoryRouter>,
  );

describe("the memory plan of can-generate", () => {
  it("reads the plan object: placement and reason", () => {
    expect(planText(plan)).toBe("Plan: model offload (parts moved to the device as needed) — needs 20 GB, 8 GB free.");
    expect(planText({ ...plan, placement: "weird_mode", reason: "", vae_tiling: true })).toBe("Plan: weird mode (VAE tiling on).");
    expect(planText(null)).toBeNull();
  });

  it("shows the plan in the fit warning", () => {
    const out = html(canGenerate({ can_generate: false, reason: "not enough memory", required_gb: 20, available_gb: 8, plan }));
    expect(out).toContain('data-testid="fit-warning"');
    expect(out).toContain("not enough memory");
    expect(out).toContain("model offload");
    expect(out).toContain("needs 20 GB, 8 GB free");
  });

  it("shows an offload plan of a model that fits, and nothing when it fits on the device", () => {
    expect(html(canGenerate({ can_generate: true, plan }))).toContain('data-testid="fit-plan"');
    expect(html(canGenerate({ can_generate: true, plan: { ...plan, placement: "device" } }))).toBe("");
    expect(html(canGenerate({ can_generate: true }))).toBe("");
  });
});
