/** The source image with its mask painted over it (pointer events: mouse, pen and touch) and a handle on each side
 * that drags the canvas edge outward to outpaint. The mask is kept at the source's pixel size. */
import { useCallback, useEffect, useImperativeHandle, useRef, useState, type PointerEvent as ReactPointerEvent, type Ref } from "react";
import { cn } from "@/lib/utils";
import { anyPainted, brushStops, dropFaint, draggedMargin, extendedSize, fitScale, invertedPaint, maskPixels, MARGIN_STEP, snapMargin, strokePoints, type CanvasSource, type Margins, type Side } from "./canvasLogic";

export interface MaskHandle {
  /** The mask as a PNG (base64, no data: prefix), white = change, at the source's size; null when nothing is painted. */
  exportPng(): string | null;
  clear(): void;
  invert(): void;
}

export type BrushTool = "brush" | "erase";
const PAINT_RGB: [number, number, number] = [255, 0, 90];
/** The most a view may be tall: the page around it stays in sight. */
const MAX_VIEW_HEIGHT = 480;

export function PaintSurface({
  source,
  margins,
  onMargins,
  tool,
  size,
  hardness,
  onPainted,
  handle,
}: {
  source: CanvasSource;
  margins: Margins;
  onMargins: (m: Margins) => void;
  tool: BrushTool;
  /** Brush diameter in source pixels. */
  size: number;
  hardness: number;
  onPainted: (painted: boolean) => void;
  handle: Ref<MaskHandle>;
}) {
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [boxWidth, setBoxWidth] = useState(0);
  const [cursor, setCursor] = useState<{ x: number; y: number } | null>(null);
  // While a handle is dragged the view keeps its scale, so the edge stays under the finger.
  const [frozenScale, setFrozenScale] = useState<number | null>(null);
  const last = useRef<{ x: number; y: number } | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setBoxWidth(el.clientWidth));
    ro.observe(el);
    setBoxWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  // A new source starts with an empty mask at its own size.
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    c.width = source.width;
    c.height = source.height;
    onPainted(false);
  }, [source.url, source.width, source.height, onPainted]);

  const ext = extendedSize(source, margins);
  const maxHeight = Math.min(MAX_VIEW_HEIGHT, typeof window === "undefined" ? MAX_VIEW_HEIGHT : window.innerHeight * 0.6);
  // The whole extended canvas fits the panel (less room for the edge handles); a small source is shown larger.
  const fitted = fitScale(ext.width, ext.height, boxWidth - 24, maxHeight);
  const scale = frozenScale ?? fitted;

  const ctx = () => canvas.current?.getContext("2d", { willReadFrequently: true }) ?? null;
  const report = useCallback(() => {
    const c = ctx();
    if (c) onPainted(anyPainted(c.getImageData(0, 0, source.width, source.height).data));
  }, [onPainted, source.width, source.height]);

  useImperativeHandle(
    handle,
    () => ({
      exportPng() {
        const c = ctx();
        if (!c) return null;
        const painted = c.getImageData(0, 0, source.width, source.height);
        if (!anyPainted(painted.data)) return null;
        const out = document.createElement("canvas");
        out.width = source.width;
        out.height = source.height;
        out.getContext("2d")!.putImageData(new ImageData(maskPixels(painted.data), source.width, source.height), 0, 0);
        const url = out.toDataURL("image/png");
        return url.slice(url.indexOf(",") + 1);
      },
      clear() {
        ctx()?.clearRect(0, 0, source.width, source.height);
        onPainted(false);
      },
      invert() {
        const c = ctx();
        if (!c) return;
        const painted = c.getImageData(0, 0, source.width, source.height);
        c.putImageData(new ImageData(invertedPaint(painted.data, PAINT_RGB), source.width, source.height), 0, 0);
        report();
      },
    }),
    [source.width, source.height, onPainted, report],
  );

  const toImage = (e: ReactPointerEvent) => {
    const r = canvas.current!.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * source.width, y: ((e.clientY - r.top) / r.height) * source.height };
  };

  const dab = (c: CanvasRenderingContext2D, p: { x: number; y: number }) => {
    const radius = size / 2;
    const g = c.createRadialGradient(p.x, p.y, 0, p.x, p.y, radius);
    for (const [at, alpha] of brushStops(hardness)) g.addColorStop(at, `rgba(${PAINT_RGB.join(",")},${alpha})`);
    c.fillStyle = g;
    c.beginPath();
    c.arc(p.x, p.y, radius, 0, Math.PI * 2);
    c.fill();
  };

  const paintTo = (p: { x: number; y: number }) => {
    const c = ctx();
    if (!c) return;
    c.globalCompositeOperation = tool === "erase" ? "destination-out" : "source-over";
    for (const q of last.current ? strokePoints(last.current, p, size / 2) : [p]) dab(c, q);
    last.current = p;
  };

  const onPointerDown = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    last.current = null;
    paintTo(toImage(e));
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    setCursor({ x: e.clientX - r.left, y: e.clientY - r.top });
    if (last.current && e.currentTarget.hasPointerCapture(e.pointerId)) paintTo(toImage(e));
  };
  const endStroke = () => {
    if (!last.current) return;
    last.current = null;
    const c = ctx();
    // An eraser's soft edge leaves a faint trace of the paint it crossed: too faint to count, so gone.
    if (c && tool === "erase") {
      const layer = c.getImageData(0, 0, source.width, source.height);
      if (dropFaint(layer.data)) c.putImageData(layer, 0, 0);
    }
    report();
  };

  const frame = { width: ext.width * scale, height: ext.height * scale };
  const image = { left: margins.left * scale, top: margins.top * scale, width: source.width * scale, height: source.height * scale };

  return (
    <div ref={box} className="-mx-3 flex justify-center overflow-hidden p-3" data-testid="canvas-view">
      <div
        className="relative shrink-0 bg-[repeating-conic-gradient(#8882_0%_25%,transparent_0%_50%)] bg-[length:16px_16px] outline-2 outline-dashed outline-primary/60"
        style={frame}
        data-testid="canvas-frame"
      >
        <img src={source.url} alt="Source image" draggable={false} className="absolute select-none" style={image} data-testid="canvas-source" />
        <canvas
          ref={canvas}
          aria-label="Mask: paint over what to change"
          data-testid="mask-canvas"
          className={cn("absolute touch-none opacity-50", cursor ? "cursor-none" : "cursor-crosshair")}
          style={image}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={endStroke}
          onPointerCancel={endStroke}
          onPointerLeave={(e) => {
            setCursor(null);
            if (!e.currentTarget.hasPointerCapture(e.pointerId)) endStroke();
          }}
        />
        {cursor && (
          <div
            aria-hidden
            data-testid="brush-cursor"
            className="pointer-events-none absolute rounded-full border border-white shadow-[0_0_0_1px_rgba(0,0,0,0.7)]"
            style={{ left: image.left + cursor.x - (size * scale) / 2, top: image.top + cursor.y - (size * scale) / 2, width: size * scale, height: size * scale }}
          />
        )}
        {(["left", "top", "right", "bottom"] as Side[]).map((side) => (
          <EdgeHandle
            key={side}
            side={side}
            value={margins[side]}
            onStart={() => setFrozenScale(scale)}
            onEnd={() => setFrozenScale(null)}
            onMove={(from, delta) => onMargins({ ...margins, [side]: draggedMargin(from, delta, scale) })}
            onStep={(d) => onMargins({ ...margins, [side]: snapMargin(margins[side] + d * MARGIN_STEP) })}
          />
        ))}
      </div>
    </div>
  );
}

const HANDLE_PLACE: Record<Side, string> = {
  left: "left-0 top-1/2 -translate-x-1/2 -translate-y-1/2 h-14 w-6 cursor-ew-resize",
  right: "right-0 top-1/2 translate-x-1/2 -translate-y-1/2 h-14 w-6 cursor-ew-resize",
  top: "top-0 left-1/2 -translate-x-1/2 -translate-y-1/2 h-6 w-14 cursor-ns-resize",
  bottom: "bottom-0 left-1/2 -translate-x-1/2 translate-y-1/2 h-6 w-14 cursor-ns-resize",
};
const OUTWARD: Record<Side, [number, number]> = { left: [-1, 0], right: [1, 0], top: [0, -1], bottom: [0, 1] };

/** A grip on one edge: drag it outward to add pixels on that side (arrow keys: 8 px a press). */
function EdgeHandle({ side, value, onStart, onEnd, onMove, onStep }: { side: Side; value: number; onStart: () => void; onEnd: () => void; onMove: (from: number, delta: number) => void; onStep: (d: number) => void }) {
  const start = useRef<{ x: number; y: number; value: number } | null>(null);
  const [dx, dy] = OUTWARD[side];
  return (
    <button
      type="button"
      aria-label={`Extend ${side}: ${value} px`}
      data-testid={`edge-${side}`}
      className={cn("absolute z-10 flex touch-none items-center justify-center rounded-md border border-primary bg-card/90 text-[10px] font-medium tabular-nums text-primary shadow", HANDLE_PLACE[side])}
      onPointerDown={(e) => {
        e.preventDefault();
        e.currentTarget.setPointerCapture(e.pointerId);
        start.current = { x: e.clientX, y: e.clientY, value };
        onStart();
      }}
      onPointerMove={(e) => {
        const s = start.current;
        if (!s) return;
        // The margin grows from where the drag started, not from the last move (no rounding drift).
        onMove(s.value, (e.clientX - s.x) * dx + (e.clientY - s.y) * dy);
      }}
      onPointerUp={() => {
        start.current = null;
        onEnd();
      }}
      onPointerCancel={() => {
        start.current = null;
        onEnd();
      }}
      onKeyDown={(e) => {
        const out = (side === "left" && e.key === "ArrowLeft") || (side === "right" && e.key === "ArrowRight") || (side === "top" && e.key === "ArrowUp") || (side === "bottom" && e.key === "ArrowDown");
        const back = (side === "left" && e.key === "ArrowRight") || (side === "right" && e.key === "ArrowLeft") || (side === "top" && e.key === "ArrowDown") || (side === "bottom" && e.key === "ArrowUp");
        if (out || back) {
          e.preventDefault();
          onStep(out ? 1 : -1);
        }
      }}
    >
      {value > 0 ? `+${value}` : dx ? "↔" : "↕"}
    </button>
  );
}
