import { Brush, FileImage, ImagePlus, X } from "lucide-react";
import { cn } from "@/lib/utils";
import { useEffect, useRef, useState } from "react";

/** What a drop on the Image page came to: the settings read from an image, or why nothing was read. */
export type DropNote =
  | { kind: "read"; file: string; source: string; restored: string[]; unmapped: string[] }
  | { kind: "problem"; file: string; message: string };

const READABLE = ["image/png", "image/webp", "image/jpeg"];

/** Why `file` cannot be read for settings, or null when it can. */
export function dropProblem(file: File): string | null {
  if (READABLE.includes(file.type)) return null;
  if (file.type.startsWith("image/")) return `${file.name} is a ${file.type.slice(6).toUpperCase()} image: settings are read from PNG, WebP or JPEG files.`;
  return `${file.name} is not an image: drop a PNG or WebP made by HollyWool, A1111/Forge, ComfyUI or InvokeAI to reuse its settings.`;
}

/**
 * Files dropped anywhere on the page: the browser's default (opening the file, leaving the studio) is
 * prevented, and the first file goes to `onFile`. Drops a drop zone handled itself (it prevented the
 * default, as the reference images' zone does) are left to it. Answers whether a file is being
 * dragged over the page now.
 */
export function usePageFileDrop(onFile: (file: File) => void): boolean {
  const handler = useRef(onFile);
  handler.current = onFile;
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes("Files");
    // dragenter/dragleave fire for every element crossed: count them to know when the file leaves the window.
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth += 1;
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      depth = 0;
      setDragging(false);
      if (!hasFiles(e) || e.defaultPrevented) return;
      e.preventDefault();
      const file = e.dataTransfer?.files[0];
      if (file) handler.current(file);
    };
    window.addEventListener("dragenter", enter);
    window.addEventListener("dragleave", leave);
    window.addEventListener("dragover", over);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragenter", enter);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("dragover", over);
      window.removeEventListener("drop", drop);
    };
  }, []);
  return dragging;
}

/**
 * Shown while a file is dragged over the page: what dropping it does, as two targets. A drop on
 * "use as a reference" goes to `onReference` (its default prevented, so the page's settings reader
 * leaves it); a drop anywhere else reads the file's settings.
 */
export function DropOverlay({ onReference, canReference, onCanvas }: { onReference: (file: File) => void; canReference: boolean; onCanvas?: (file: File) => void }) {
  const [target, setTarget] = useState<"settings" | "reference" | "canvas">("settings");
  const box = "flex flex-1 flex-col items-center justify-center rounded-xl border-2 border-dashed px-6 py-8 text-center transition-colors";
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-background/85 p-6 backdrop-blur-sm" data-testid="drop-overlay" role="status">
      <div className={cn("flex w-full flex-col gap-4 sm:flex-row", onCanvas ? "max-w-5xl" : "max-w-3xl")}>
        <div
          className={cn(box, target === "settings" ? "border-primary bg-primary/10" : "border-border bg-card")}
          onDragEnter={() => setTarget("settings")}
          data-testid="drop-settings"
        >
          <FileImage className="mb-3 h-10 w-10 text-primary" aria-hidden />
          <p className="text-lg font-semibold">Drop a PNG or WebP to reuse its settings</p>
          <p className="mt-1 text-sm text-muted-foreground">Prompt, model, size, steps and seed from HollyWool, A1111, ComfyUI or InvokeAI.</p>
        </div>
        {canReference && (
          <div
            className={cn(box, target === "reference" ? "border-primary bg-primary/10" : "border-border bg-card")}
            onDragEnter={() => setTarget("reference")}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              const file = e.dataTransfer.files[0];
              if (file) onReference(file);
            }}
            data-testid="drop-reference"
          >
            <ImagePlus className="mb-3 h-10 w-10 text-primary" aria-hidden />
            <p className="text-lg font-semibold">Drop here to use it as a reference</p>
            <p className="mt-1 text-sm text-muted-foreground">Image-to-image: the picture guides the next job.</p>
          </div>
        )}
        {onCanvas && (
          <div
            className={cn(box, target === "canvas" ? "border-primary bg-primary/10" : "border-border bg-card")}
            onDragEnter={() => setTarget("canvas")}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              const file = e.dataTransfer.files[0];
              if (file) onCanvas(file);
            }}
            data-testid="drop-canvas"
          >
            <Brush className="mb-3 h-10 w-10 text-primary" aria-hidden />
            <p className="text-lg font-semibold">Drop here to paint on it</p>
            <p className="mt-1 text-sm text-muted-foreground">The canvas: inpaint a masked part, or extend its edges.</p>
          </div>
        )}
      </div>
    </div>
  );
}

/** The dismissible note a drop leaves: what was restored from which tool, and what was not. */
export function MetadataDropNote({ note, onDismiss }: { note: DropNote; onDismiss: () => void }) {
  const problem = note.kind === "problem";
  return (
    <div
      role={problem ? "alert" : "status"}
      data-testid="metadata-note"
      className={`flex items-start gap-2 rounded-md border px-3 py-2 text-sm ${problem ? "border-destructive/30 bg-destructive/10 text-destructive" : "border-border bg-muted/50"}`}
    >
      <div className="min-w-0 flex-1 space-y-1">
        {problem ? (
          <p>{note.message}</p>
        ) : note.restored.length ? (
          <p>
            Restored from {note.file} ({note.source}): {note.restored.join(", ")}.
          </p>
        ) : (
          <p>{note.file} holds no generation settings this studio can read.</p>
        )}
        {!problem && note.unmapped.length > 0 && (
          <div className="text-xs text-muted-foreground">
            Not restored:
            <ul className="list-disc pl-5" data-testid="metadata-unmapped">
              {note.unmapped.map((u) => (
                <li key={u} className="break-words">
                  {u}
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
      <button type="button" onClick={onDismiss} aria-label="Dismiss" className="-m-1 shrink-0 rounded p-1 hover:bg-muted">
        <X className="h-4 w-4" aria-hidden />
      </button>
    </div>
  );
}
