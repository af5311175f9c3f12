import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { FolderOpen, X } from "lucide-react";
import { useState } from "react";
import { ApiError, fieldErrors } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { ModelFolderInfo } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Card } from "@/components/ui/misc";

const ROLE_LABEL: Record<string, [string, string]> = {
  checkpoint: ["checkpoint", "checkpoints"],
  diffusion_model: ["diffusion model", "diffusion models"],
  text_encoder: ["text encoder", "text encoders"],
  vae: ["VAE", "VAEs"],
  lora: ["LoRA", "LoRAs"],
};

/** "3 checkpoints · 1 LoRA · 2 usable as models": what the studio found in a folder. */
export function folderSummary(folder: Pick<ModelFolderInfo, "files">): string {
  if (folder.files.length === 0) return "no model files found";
  const counts = new Map<string, number>();
  for (const f of folder.files) counts.set(f.role, (counts.get(f.role) ?? 0) + 1);
  const parts = Object.keys(ROLE_LABEL)
    .filter((role) => counts.has(role))
    .map((role) => {
      const n = counts.get(role)!;
      return `${n} ${ROLE_LABEL[role][n === 1 ? 0 : 1]}`;
    });
  const usable = folder.files.filter((f) => f.model_id).length;
  return [...parts, `${usable} usable as ${usable === 1 ? "a model" : "models"}`].join(" · ");
}

/** ComfyUI or A1111/Forge `models` folders the studio uses in place (`/api/models/folders`). */
export function ModelFoldersPanel() {
  const qc = useQueryClient();
  const [path, setPath] = useState("");
  const folders = useQuery({ queryKey: qk.modelFolders, queryFn: fetchers.modelFolders, retry: false });
  const changed = () => {
    void qc.invalidateQueries({ queryKey: qk.modelFolders });
    void qc.invalidateQueries({ queryKey: qk.models });
  };
  const add = useMutation({ mutationFn: () => fetchers.addModelFolder(path.trim()), onSuccess: () => (setPath(""), changed()) });
  const remove = useMutation({ mutationFn: fetchers.removeModelFolder, onSuccess: changed });
  const error = fieldErrors(add.error).path ?? (add.error instanceof ApiError ? add.error.detail : add.error ? String(add.error) : null);
  return (
    <Card className="space-y-3 p-4" data-testid="model-folders">
      <div>
        <h2 className="text-sm font-semibold">Model folders</h2>
        <p className="text-xs text-muted-foreground">
          Point the studio at a ComfyUI or A1111/Forge <code>models</code> folder: its checkpoints, diffusion models and LoRAs are listed with their
          family and used in place, never copied.
        </p>
      </div>
      {(folders.data ?? []).length > 0 && (
        <ul className="space-y-2">
          {folders.data!.map((f) => (
            <li key={f.path} className="flex items-start justify-between gap-2 rounded-md border border-border p-2" data-testid="model-folder">
              <div className="min-w-0">
                <p className="flex items-center gap-1 break-all text-sm font-medium">
                  <FolderOpen className="h-3.5 w-3.5 shrink-0" /> {f.path}
                </p>
                <p className="text-xs text-muted-foreground">
                  {f.layout === "comfyui" ? "ComfyUI" : "A1111/Forge"} · {folderSummary(f)}
                </p>
              </div>
              {f.from_env ? (
                <span className="shrink-0 text-xs text-muted-foreground" title="Named in HOLLYWOOL_MODEL_FOLDERS">
                  from the environment
                </span>
              ) : (
                <Button size="sm" variant="ghost" aria-label={`Stop using ${f.path}`} onClick={() => remove.mutate(f.path)} disabled={remove.isPending}>
                  <X className="h-3.5 w-3.5" />
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form
        className="flex flex-wrap items-start gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <Field label="Folder path" error={error} className="min-w-0 flex-1 basis-64">
          <Input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/ComfyUI/models" data-testid="model-folder-path" />
        </Field>
        <Button type="submit" size="sm" className="mt-5" disabled={add.isPending || !path.trim()} data-testid="model-folder-add">
          {add.isPending ? "Scanning…" : "Use this folder"}
        </Button>
      </form>
    </Card>
  );
}
