import { describe, expect, it } from "vitest";
import type { Asset, Job } from "@/api/types";
import { outpaintFrame, uploadedSource } from "./compareSource";

const job = (params: Record<string, unknown>) => ({ params }) as unknown as Job;
const asset = { width: 160, height: 112 } as Asset;

describe("compare source", () => {
  it("is the upload a canvas job started from", () => {
    expect(uploadedSource(job({ reference_images: [{ upload_id: "u1" }] }))).toBe("/api/uploads/u1");
    expect(uploadedSource(job({ reference_images: [{ image_asset_id: "a1" }] }))).toBeUndefined();
    expect(uploadedSource(undefined)).toBeUndefined();
  });
  it("sits inside an outpainted result at its margins", () => {
    expect(outpaintFrame(job({ mode: "outpaint", outpaint: { left: 0, top: 16, right: 32, bottom: 0 } }), asset)).toEqual({ left: 0, top: 16, width: 128, height: 96 });
    expect(outpaintFrame(job({ mode: "inpaint" }), asset)).toBeUndefined();
  });
});
