/** The Image page's canvas: a source image to repaint (inpaint, with a painted mask) or to extend (outpaint, by
 * dragging its edges), the options of each, and a separate place for a control image. */
import { Brush, Eraser, FlipHorizontal2, ImagePlus, Trash2, X } from "lucide-react";
import { useCallback, useRef, useState, type DragEvent, type ReactNode, type Ref } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Slider } from "@/components/ui/slider";
import { cn } from "@/lib/utils";
import { checkReferenceFile, useRequestLimits } from "@/lib/validation";
import { ASSET_DRAG_TYPE } from "../ReferenceImages";
import { chooseMode, MARGIN_STEP, MAX_MARGIN, modeText, NO_MARGINS, SIDES, snapMargin, type CanvasOptions, type CanvasSource, type Margins } from "./canvasLogic";
import { PaintSurface, type BrushTool, type MaskHandle } from "./PaintSurface";

export interface CanvasState {
  source: CanvasSource | null;
  margins: Margins;
  options: CanvasOptions;
  /** Whether any of the mask is painted. */
  painted: boolean;
}

/** A file as a canvas source (a data URL and its pixel size), or why it cannot be one. */
export async function fileToSource(file: File, limits: ReturnType<typeof useRequestLimits>): Promise<CanvasSource | string> {
  const bad = checkReferenceFile(file, limits);
  if (bad) return bad;
  const url = await new Promise<string>((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error("unreadable"));
    r.readAsDataURL(file);
  });
  const size = await new Promise<{ width: number; height: number } | null>((resolve) => {
    const img = new Image();
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => resolve(null);
    img.src = url;
  });
  if (!size) return `${file.name} is not an image the browser can open: choose a PNG, JPEG or WebP file.`;
  return { ref: { base64: url.slice(url.indexOf(",") + 1) }, url, ...size, name: file.name };
}

export function CanvasPanel({
  value,
  onChange,
  mask,
  modes,
  modelName,
  control,
}: {
  value: CanvasState;
  onChange: (update: (s: CanvasState) => CanvasState) => void;
  mask: Ref<MaskHandle>;
  /** The model's modes (GET /api/models); null: not known. */
  modes: string[] | null | undefined;
  modelName: string | undefined;
  /** Where a control image panel goes (built separately); nothing is shown without one. */
  control?: ReactNode;
}) {
  const limits = useRequestLimits();
  const input = useRef<HTMLInputElement>(null);
  const handle = useRef<MaskHandle | null>(null);
  const [tool, setTool] = useState<BrushTool>("brush");
  const [size, setSize] = useState(32);
  const [hardness, setHardness] = useState(0.8);
  const [problem, setProblem] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const { source, margins, options, painted } = value;
  const mode = chooseMode(painted, margins);
  const unsupported = mode && modes && !modes.includes(mode) ? `${modelName ?? "This model"} cannot ${mode}: pick a model that can.` : null;

  const setHandle = useCallback(
    (h: MaskHandle | null) => {
      handle.current = h;
      if (typeof mask === "function") mask(h);
      else if (mask) mask.current = h;
    },
    [mask],
  );
  const onPainted = useCallback((p: boolean) => onChange((s) => (s.painted === p ? s : { ...s, painted: p })), [onChange]);
  const setOptions = (o: Partial<CanvasOptions>) => onChange((s) => ({ ...s, options: { ...s.options, ...o } }));
  const setMargins = (m: Margins) => onChange((s) => ({ ...s, margins: m }));

  async function load(file: File | undefined) {
    if (!file) return;
    setProblem(null);
    const s = await fileToSource(file, limits);
    if (typeof s === "string") return setProblem(s);
    onChange((st) => ({ ...st, source: s, margins: NO_MARGINS, painted: false }));
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    e.stopPropagation();
    setOver(false);
    const asset = e.dataTransfer.getData(ASSET_DRAG_TYPE);
    if (asset) {
      const a = JSON.parse(asset) as { id: string; url: string; full?: string; width?: number; height?: number };
      if (a.width && a.height)
        return onChange((st) => ({ ...st, source: { ref: { assetId: a.id }, url: a.full ?? a.url, width: a.width!, height: a.height!, name: "result" }, margins: NO_MARGINS, painted: false }));
      return setProblem("That result has no known size: use its “Send to canvas” button.");
    }
    void load(e.dataTransfer.files[0]);
  }

  const picker = (
    <input
      ref={input}
      type="file"
      accept="image/*"
      hidden
      data-testid="canvas-input"
      onChange={(e) => {
        void load(e.target.files?.[0]);
        e.target.value = "";
      }}
    />
  );

  if (!source)
    return (
      <div className="space-y-2">
        <div
          role="button"
          tabIndex={0}
          aria-label="Load a source image: drop it here or press to choose"
          data-testid="canvas-dropzone"
          onClick={() => input.current?.click()}
          onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && input.current?.click()}
          onDragOver={(e) => {
            e.preventDefault();
            e.stopPropagation();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={onDrop}
          className={cn("flex cursor-pointer flex-col items-center justify-center gap-1 rounded-md border border-dashed px-3 py-6 text-center text-xs text-muted-foreground", over ? "border-primary bg-accent" : "border-border")}
        >
          <ImagePlus className="h-5 w-5" aria-hidden />
          Drop an image here or click to choose one. Or press “Send to canvas” on a result.
        </div>
        {picker}
        {problem && (
          <p role="alert" className="text-xs text-destructive">
            {problem}
          </p>
        )}
        <ControlSlot control={control} />
      </div>
    );

  return (
    <div className="space-y-3" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <div className="flex flex-wrap items-center gap-2 text-xs text-muted-foreground">
        <span className="flex min-w-0 flex-1 gap-1" data-testid="canvas-source-info" title={source.name}>
          <span className="truncate">{source.name}</span>{" "}
          <span className="shrink-0 tabular-nums">
            · {source.width}×{source.height}
          </span>
        </span>
        <Button size="sm" variant="outline" onClick={() => input.current?.click()}>
          <ImagePlus className="h-3.5 w-3.5" /> Replace
        </Button>
        <Button size="sm" variant="ghost" aria-label="Remove the source image" onClick={() => onChange((st) => ({ ...st, source: null, margins: NO_MARGINS, painted: false }))}>
          <X className="h-3.5 w-3.5" />
        </Button>
      </div>
      {picker}

      <div className="flex flex-wrap items-center gap-2" role="toolbar" aria-label="Mask tools">
        <div role="radiogroup" aria-label="Brush or eraser" className="flex rounded-md bg-muted p-0.5">
          {(["brush", "erase"] as const).map((t) => (
            <button
              key={t}
              type="button"
              role="radio"
              aria-checked={tool === t}
              data-testid={`tool-${t}`}
              onClick={() => setTool(t)}
              className={cn("flex items-center gap-1 rounded px-2 py-1 text-xs", tool === t ? "bg-card font-medium text-primary shadow-sm" : "text-muted-foreground")}
            >
              {t === "brush" ? <Brush className="h-3.5 w-3.5" /> : <Eraser className="h-3.5 w-3.5" />}
              {t === "brush" ? "Paint" : "Erase"}
            </button>
          ))}
        </div>
        <Button size="sm" variant="outline" onClick={() => handle.current?.invert()} data-testid="mask-invert">
          <FlipHorizontal2 className="h-3.5 w-3.5" /> Invert
        </Button>
        <Button size="sm" variant="outline" onClick={() => handle.current?.clear()} disabled={!painted} data-testid="mask-clear">
          <Trash2 className="h-3.5 w-3.5" /> Clear
        </Button>
      </div>
      <div className="grid grid-cols-2 gap-3">
        <LabeledSlider label="Brush size" shown={`${size} px`} value={size} min={2} max={256} step={1} onChange={setSize} />
        <LabeledSlider label="Hardness" shown={`${Math.round(hardness * 100)}%`} value={hardness} min={0} max={1} step={0.05} onChange={setHardness} />
      </div>

      <PaintSurface source={source} margins={margins} onMargins={setMargins} tool={tool} size={size} hardness={hardness} onPainted={onPainted} handle={setHandle} />

      <fieldset className="grid grid-cols-4 gap-2">
        <legend className="mb-1 text-xs font-medium text-muted-foreground">Outpaint: px added per side (drag an edge or type)</legend>
        {SIDES.map((side) => (
          <label key={side} className="space-y-0.5 text-xs capitalize text-muted-foreground">
            {side}
            <Input
              type="number"
              min={0}
              max={MAX_MARGIN}
              step={MARGIN_STEP}
              value={margins[side]}
              data-testid={`margin-${side}`}
              onChange={(e) => setMargins({ ...margins, [side]: Math.max(0, Number(e.target.value) || 0) })}
              onBlur={() => setMargins({ ...margins, [side]: snapMargin(margins[side]) })}
            />
          </label>
        ))}
      </fieldset>

      <p role="status" data-testid="canvas-mode" data-mode={mode ?? "none"} className={cn("rounded-md px-3 py-2 text-sm", mode ? "bg-primary/10 text-foreground" : "bg-muted text-muted-foreground")}>
        {modeText(mode, painted, margins, source)}
      </p>
      {unsupported && (
        <p role="alert" className="text-xs text-destructive" data-testid="canvas-unsupported">
          {unsupported}
        </p>
      )}

      {mode === "inpaint" && (
        <div className="grid gap-3 @md:grid-cols-2" data-testid="inpaint-options">
          <LabeledSlider label="Mask blur" shown={`${options.maskBlur} px`} value={options.maskBlur} min={0} max={64} step={1} onChange={(v) => setOptions({ maskBlur: v })} />
          <LabeledSlider label="Strength" shown={options.strength.toFixed(2)} value={options.strength} min={0.1} max={1} step={0.05} onChange={(v) => setOptions({ strength: v })} />
          <label className="flex items-center gap-2 text-xs">
            <input type="checkbox" checked={options.onlyMasked} onChange={(e) => setOptions({ onlyMasked: e.target.checked })} data-testid="only-masked" />
            Only the masked area (at full resolution)
          </label>
          {options.onlyMasked && (
            <label className="flex items-center gap-2 text-xs text-muted-foreground">
              Padding
              <Input type="number" className="w-20" min={0} max={512} value={options.padding} onChange={(e) => setOptions({ padding: Math.min(512, Math.max(0, Number(e.target.value) || 0)) })} data-testid="inpaint-padding" />
              px
            </label>
          )}
        </div>
      )}
      {problem && (
        <p role="alert" className="text-xs text-destructive">
          {problem}
        </p>
      )}
      <ControlSlot control={control} />
    </div>
  );
}

/** The control image's place (its panel is built apart from the canvas). */
function ControlSlot({ control }: { control?: ReactNode }) {
  if (!control) return null;
  return (
    <section aria-label="Control image" data-testid="canvas-control" className="border-t border-border pt-3">
      {control}
    </section>
  );
}

function LabeledSlider({ label, shown, value, min, max, step, onChange }: { label: string; shown: string; value: number; min: number; max: number; step: number; onChange: (v: number) => void }) {
  return (
    <div>
      <div className="flex justify-between text-xs text-muted-foreground">
        <span>{label}</span>
        <span className="tabular-nums">{shown}</span>
      </div>
      <Slider label={label} value={value} min={min} max={max} step={step} onChange={onChange} />
    </div>
  );
}
