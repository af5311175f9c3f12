/** The large viewer beside the form: the live preview while a job samples, then the result, with
 * keyboard navigation, fullscreen and an A/B compare slider (against another result or the source image). */
import { Brush, ChevronLeft, ChevronRight, Columns2, ExternalLink, Maximize2, X } from "lucide-react";
import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type ReactNode } from "react";
import { Link } from "react-router-dom";
import type { Asset, Job } from "@/api/types";
import { useLive } from "@/live/store";
import { formatSeconds } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { ProgressBar } from "@/components/ui/misc";

/** `frame`: where `url` sits inside the result, in the result's pixels (an outpaint's source); else it covers it all. */
export type CompareTarget = { url: string; label: string; frame?: { left: number; top: number; width: number; height: number } };

/** Arrow keys move between results unless the user is typing. */
function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

export function ResultStage({
  running,
  asset,
  index,
  count,
  onStep,
  compareWith,
  onSendToCanvas,
}: {
  running: Job | null;
  asset: Asset | null;
  index: number;
  count: number;
  onStep: (delta: number) => void;
  compareWith: CompareTarget | null;
  onSendToCanvas?: (a: Asset) => void;
}) {
  const [fullscreen, setFullscreen] = useState(false);
  const [comparing, setComparing] = useState(false);
  const [split, setSplit] = useState(50);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      if (e.key === "ArrowLeft") onStep(-1);
      else if (e.key === "ArrowRight") onStep(1);
      else if (e.key === "Escape") setFullscreen(false);
      else if (e.key === "f" && asset) setFullscreen((v) => !v);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onStep, asset]);

  const canCompare = !running && !!asset && !!compareWith;
  const view = running ? (
    <LivePreview job={running} />
  ) : asset ? (
    comparing && canCompare ? (
      <Compare a={asset} b={compareWith} split={split} onSplit={setSplit} />
    ) : (
      <img src={asset.url} alt={asset.prompt ?? "Generated image"} data-testid="stage-image" className="h-full w-full object-contain" />
    )
  ) : (
    <p className="text-sm text-muted-foreground">Write a prompt and press Generate: the result appears here, large.</p>
  );

  return (
    <figure className="flex flex-col gap-2 xl:min-h-0 xl:flex-1" data-testid="result-stage" aria-label="Result">
      <div className="relative flex aspect-square max-h-[75vh] w-full items-center justify-center overflow-hidden rounded-lg border border-border bg-muted/50 xl:aspect-auto xl:max-h-none xl:min-h-0 xl:flex-1">
        {view}
        {!running && count > 1 && (
          <>
            <StageButton className="left-2" label="Newer result" onClick={() => onStep(-1)} disabled={index <= 0}>
              <ChevronLeft className="h-5 w-5" />
            </StageButton>
            <StageButton className="right-2" label="Older result" onClick={() => onStep(1)} disabled={index >= count - 1}>
              <ChevronRight className="h-5 w-5" />
            </StageButton>
          </>
        )}
      </div>
      {!running && asset && (
        <figcaption className="flex flex-wrap items-center gap-2 text-xs text-muted-foreground">
          <span data-testid="stage-position">
            {index + 1} of {count}
          </span>
          <span>
            · {asset.width}×{asset.height}
            {asset.seed != null ? ` · seed ${asset.seed}` : ""}
          </span>
          <span className="min-w-0 flex-1 truncate" title={asset.prompt ?? undefined}>
            {asset.prompt}
          </span>
          {canCompare && (
            <Button size="sm" variant={comparing ? "default" : "outline"} onClick={() => setComparing((v) => !v)} data-testid="compare-toggle">
              <Columns2 className="h-3.5 w-3.5" /> {comparing ? "Stop comparing" : `Compare with ${compareWith.label}`}
            </Button>
          )}
          {comparing && canCompare && (
            <input
              type="range"
              min={0}
              max={100}
              value={split}
              onChange={(e) => setSplit(Number(e.target.value))}
              aria-label="Compare split"
              data-testid="compare-slider"
              className="w-32"
            />
          )}
          {onSendToCanvas && (
            <Button size="sm" variant="outline" onClick={() => onSendToCanvas(asset)} data-testid="stage-to-canvas">
              <Brush className="h-3.5 w-3.5" /> Send to canvas
            </Button>
          )}
          <Button size="sm" variant="outline" onClick={() => setFullscreen(true)} data-testid="stage-fullscreen">
            <Maximize2 className="h-3.5 w-3.5" /> Fullscreen
          </Button>
          <Link to={`/assets/${asset.id}`} className="inline-flex items-center gap-1 underline" data-testid="stage-open">
            <ExternalLink className="h-3.5 w-3.5" /> Details
          </Link>
        </figcaption>
      )}
      {fullscreen && asset && (
        <div role="dialog" aria-label="Fullscreen result" data-testid="stage-fullscreen-view" className="fixed inset-0 z-50 flex items-center justify-center bg-black/90" onClick={() => setFullscreen(false)}>
          <img src={asset.url} alt={asset.prompt ?? "Generated image"} className="max-h-full max-w-full object-contain" />
          <button type="button" aria-label="Close fullscreen" className="absolute right-4 top-4 rounded p-2 text-white hover:bg-white/10" onClick={() => setFullscreen(false)}>
            <X className="h-6 w-6" />
          </button>
        </div>
      )}
    </figure>
  );
}

function StageButton({ className, label, onClick, disabled, children }: { className: string; label: string; onClick: () => void; disabled: boolean; children: ReactNode }) {
  return (
    <button
      type="button"
      aria-label={label}
      onClick={onClick}
      disabled={disabled}
      className={`absolute top-1/2 -translate-y-1/2 rounded-full bg-background/80 p-2 shadow hover:bg-background disabled:opacity-30 ${className}`}
    >
      {children}
    </button>
  );
}

/** The running job's latest preview at the stage's full size, with its stage, step and ETA. */
function LivePreview({ job }: { job: Job }) {
  const preview = useLive((s) => s.previews[job.id]);
  const live = useLive((s) => s.jobs[job.id]);
  const j = live ? { ...job, ...live } : job;
  return (
    <div className="flex h-full w-full flex-col items-center justify-center gap-3 p-3" data-testid="stage-live" data-job-id={j.id}>
      <div className="flex min-h-0 w-full flex-1 items-center justify-center">
        {preview ? (
          <img src={preview.image} alt={`Preview at step ${preview.step}`} data-testid="stage-preview" className="h-full max-h-full w-full object-contain [image-rendering:auto]" />
        ) : (
          <div className="max-w-md space-y-1 text-center text-sm text-muted-foreground">
            <p>{j.status === "queued" ? "Queued: it starts when the jobs before it end." : `${j.stage_label}…`}</p>
            {/* Why it waits and what to do ("w0 (cpu) is drained ... resume one in Settings, GPU workers, to run this job"). */}
            {j.status !== "queued" && j.message && <p data-testid="stage-message">{j.message}</p>}
          </div>
        )}
      </div>
      <div className="w-full max-w-xl space-y-1">
        <div className="flex justify-between text-xs text-muted-foreground" data-testid="stage-progress">
          <span>
            {j.stage_label}
            {j.total_steps ? ` · step ${j.step}/${j.total_steps}` : ""}
          </span>
          {j.eta_seconds != null && <span>ETA {formatSeconds(j.eta_seconds)}</span>}
        </div>
        <ProgressBar value={j.progress} label="Result progress" />
      </div>
    </div>
  );
}

/** Two images over each other, laid out as the result is shown (contained in the stage); the slider (or a drag on
 * the picture) uncovers `b` from the left. An outpaint's source sits at its own place inside the result. */
function Compare({ a, b, split, onSplit }: { a: Asset; b: CompareTarget; split: number; onSplit: (v: number) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 0, h: 0 });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setSize({ w: el.clientWidth, h: el.clientHeight });
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    measure();
    return () => ro.disconnect();
  }, []);
  const aw = a.width || 1;
  const ah = a.height || 1;
  const scale = Math.min(size.w / aw, size.h / ah) || 0;
  const rect = { width: aw * scale, height: ah * scale, left: (size.w - aw * scale) / 2, top: (size.h - ah * scale) / 2 };
  const f = b.frame ?? { left: 0, top: 0, width: aw, height: ah };
  const bRect = { left: f.left * scale, top: f.top * scale, width: f.width * scale, height: f.height * scale };
  // The split is a share of the result's width; on `b` it clips what lies right of it.
  // As a share of b's own width: without a frame that is 100 - split.
  const clipRight = b.frame ? Math.min(Math.max((f.left + f.width - (split / 100) * aw) / f.width, 0), 1) * 100 : 100 - split;
  const drag = (e: ReactPointerEvent<HTMLDivElement>) => {
    if (e.type === "pointerdown") e.currentTarget.setPointerCapture(e.pointerId);
    else if (!e.currentTarget.hasPointerCapture(e.pointerId)) return;
    const r = e.currentTarget.getBoundingClientRect();
    onSplit(Math.round(Math.min(Math.max(((e.clientX - r.left) / r.width) * 100, 0), 100)));
  };
  return (
    <div ref={box} className="relative h-full w-full" data-testid="compare-view">
      <div className="absolute touch-none" style={rect} onPointerDown={drag} onPointerMove={drag}>
        <img src={a.url} alt="This result" draggable={false} className="absolute inset-0 h-full w-full select-none" />
        <img
          src={b.url}
          alt={b.label}
          draggable={false}
          className="absolute select-none"
          style={{ ...bRect, clipPath: `inset(0 ${clipRight}% 0 0)` }}
          data-testid="compare-b"
        />
        <div className="pointer-events-none absolute inset-y-0 w-0.5 bg-white/80 shadow-[0_0_0_1px_rgba(0,0,0,0.4)]" style={{ left: `${split}%` }} data-testid="compare-divider" />
      </div>
    </div>
  );
}
