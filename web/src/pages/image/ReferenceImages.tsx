import { ImagePlus, X } from "lucide-react";
import { useRef, useState, type DragEvent } from "react";
import { checkReferenceFile, useRequestLimits } from "@/lib/validation";
import { cn } from "@/lib/utils";

/** `preview` is an image URL, or "" for an image the server stored at submit time and keeps no picture of. */
export type RefImage = { key: string; preview: string } & ({ assetId: string } | { base64: string } | { uploadId: string });

export const ASSET_DRAG_TYPE = "application/x-hollywool-asset";

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

/** A picked or dropped file as a reference image, or why it cannot be one. */
export async function fileToRefImage(file: File, limits: ReturnType<typeof useRequestLimits>): Promise<RefImage | string> {
  const bad = checkReferenceFile(file, limits);
  if (bad) return bad;
  const url = await readAsDataUrl(file);
  return { key: `${file.name}-${file.size}-${Math.random()}`, preview: url, base64: url.slice(url.indexOf(",") + 1) };
}

/**
 * Reference images (at most `max`: the API's limit, or fewer when the model takes fewer; Infinity while
 * the limits load): dropped files, picked files, or assets dragged from the results.
 */
export function ReferenceImages({
  value,
  onChange,
  error,
  max,
  noun = "reference image",
  testId = "reference",
  large = false,
}: {
  value: RefImage[];
  onChange: (v: RefImage[]) => void;
  error?: string;
  max: number;
  /** What one image is called in the zone's labels: "reference image", "source image". */
  noun?: string;
  /** Prefix of the test ids: `<testId>-dropzone`, `<testId>-input`, `<testId>-thumb`. */
  testId?: string;
  /** Bigger previews (a video's source image is looked at, not just counted). */
  large?: boolean;
}) {
  const limits = useRequestLimits();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const room = max - value.length;
  const atMost = max === 1 ? `one ${noun}` : `${max} ${noun}s`;

  async function addFiles(files: File[]) {
    setProblem(null);
    const next = [...value];
    for (const f of files) {
      if (next.length >= max) {
        setProblem(`This model takes at most ${atMost}.`);
        break;
      }
      const ref = await fileToRefImage(f, limits);
      if (typeof ref === "string") {
        setProblem(ref);
        continue;
      }
      next.push(ref);
    }
    onChange(next);
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    const asset = e.dataTransfer.getData(ASSET_DRAG_TYPE);
    if (asset) {
      const { id, url } = JSON.parse(asset) as { id: string; url: string };
      if (value.length < max && !value.some((v) => "assetId" in v && v.assetId === id))
        onChange([...value, { key: id, assetId: id, preview: url }]);
      return;
    }
    void addFiles([...e.dataTransfer.files]);
  }

  return (
    <div className="space-y-2">
      <div
        role="button"
        tabIndex={0}
        aria-label={`Add ${noun}s: drop files here or press to choose`}
        data-testid={`${testId}-dropzone`}
        onClick={() => input.current?.click()}
        onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && input.current?.click()}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        className={cn(
          "flex cursor-pointer items-center justify-center gap-2 rounded-md border border-dashed px-3 py-3 text-xs text-muted-foreground",
          over ? "border-primary bg-accent" : "border-border",
          room <= 0 && "pointer-events-none opacity-50",
        )}
      >
        <ImagePlus className="h-4 w-4" aria-hidden />
        {room > 0 ? `Drop images here or click (${value.length}${Number.isFinite(max) ? `/${max}` : ""})` : `At most ${atMost}: remove ${max === 1 ? "it to choose another" : "one to add another"}`}
      </div>
      <input
        ref={input}
        type="file"
        accept="image/*"
        multiple={max > 1}
        hidden
        data-testid={`${testId}-input`}
        onChange={(e) => {
          void addFiles([...(e.target.files ?? [])]);
          e.target.value = "";
        }}
      />
      {value.length > 0 && (
        <ul className="flex flex-wrap gap-2">
          {value.map((r) => (
            <li key={r.key} className={cn("relative overflow-hidden rounded-md border border-border", large ? "h-28 w-28" : "h-14 w-14")}>
              {r.preview ? (
                <img src={r.preview} alt={noun} className="h-full w-full object-cover" data-testid={`${testId}-thumb`} />
              ) : (
                <span className="flex h-full w-full items-center justify-center bg-muted text-[10px] text-muted-foreground" data-testid={`${testId}-thumb`}>
                  upload
                </span>
              )}
              <button
                type="button"
                aria-label={`Remove ${noun}`}
                onClick={() => onChange(value.filter((v) => v.key !== r.key))}
                className="absolute right-0 top-0 rounded-bl bg-black/60 p-0.5 text-white"
              >
                <X className="h-3 w-3" />
              </button>
            </li>
          ))}
        </ul>
      )}
      {(problem || error) && (
        <p role="alert" className="text-xs text-destructive">
          {problem ?? error}
        </p>
      )}
    </div>
  );
}
