/** What a result is compared with: its job's source image, and where that source sits inside an outpainted result. */
import type { Asset, Job } from "@/api/types";
import type { CompareTarget } from "./ResultStage";

/** The source of a job whose first reference image was an upload (the canvas's own file). */
export function uploadedSource(job: Job | undefined): string | undefined {
  const first = (job?.params as { reference_images?: { upload_id?: string }[] } | undefined)?.reference_images?.[0];
  return first?.upload_id ? `/api/uploads/${first.upload_id}` : undefined;
}

/** Where an outpainted result's source sits inside it (pixels), so the compare lays it over its own place. */
export function outpaintFrame(job: Job | undefined, a: Asset): CompareTarget["frame"] {
  const p = job?.params as { mode?: string; outpaint?: { left?: number; top?: number; right?: number; bottom?: number } } | undefined;
  if (p?.mode !== "outpaint" || !p.outpaint || !a.width || !a.height) return undefined;
  const { left = 0, top = 0, right = 0, bottom = 0 } = p.outpaint;
  return { left, top, width: a.width - left - right, height: a.height - top - bottom };
}
