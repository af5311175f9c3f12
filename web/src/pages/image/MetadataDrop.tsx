import { X } from "lucide-react";
import { useEffect, useRef } from "react";

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
 * default, as the reference images' zone does) are left to it.
 */
export function usePageFileDrop(onFile: (file: File) => void): void {
  const handler = useRef(onFile);
  handler.current = onFile;
  useEffect(() => {
    const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes("Files");
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e) || e.defaultPrevented) return;
      e.preventDefault();
      const file = e.dataTransfer?.files[0];
      if (file) handler.current(file);
    };
    window.addEventListener("dragover", over);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragover", over);
      window.removeEventListener("drop", drop);
    };
  }, []);
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
