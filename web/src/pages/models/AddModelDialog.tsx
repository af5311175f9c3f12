import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router-dom";
import { ApiError, fieldErrors } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { AddModelRequest, LocalModelInfo } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";

/** The request for the dialog's fields: blanks left out, so the server reads the family from the files. */
export function addModelRequest(path: string, name: string, type: string): AddModelRequest {
  const req: AddModelRequest = { path: path.trim() };
  if (name.trim()) req.name = name.trim();
  if (type) req.type = type;
  return req;
}

/** "Add a model": a local diffusers folder or weights file, used in place and kept in config.yaml. */
export function AddModelDialog() {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState("");
  const [name, setName] = useState("");
  const [type, setType] = useState("");
  const [added, setAdded] = useState<LocalModelInfo | null>(null);
  const families = useQuery({ queryKey: qk.families, queryFn: fetchers.families, enabled: open, staleTime: 60_000 });
  const add = useMutation({
    mutationFn: () => fetchers.addModel(addModelRequest(path, name, type)),
    onSuccess: (model) => {
      setAdded(model);
      void qc.invalidateQueries({ queryKey: qk.models });
      void qc.invalidateQueries({ queryKey: ["models-config-problems"] });
    },
  });
  const errors = fieldErrors(add.error);
  // Errors about a field the dialog shows go under it; any other (an id clash, config.yaml unreadable) below the form.
  const shown = add.error instanceof ApiError && ["path", "name", "type"].includes(add.error.field ?? "");
  const general = add.error && !shown ? (add.error instanceof ApiError ? add.error.detail : String(add.error)) : null;
  const reset = () => {
    setPath("");
    setName("");
    setType("");
    setAdded(null);
    add.reset();
  };
  return (
    <>
      <Button size="sm" onClick={() => (reset(), setOpen(true))} data-testid="add-model" aria-label="Add a model">
        <Plus className="h-3.5 w-3.5" /> <span className="sm:hidden">Add</span>
        <span className="hidden sm:inline">Add a model</span>
      </Button>
      <Dialog
        open={open}
        onOpenChange={setOpen}
        title="Add a model"
        description="A diffusers folder or a single weights file (.safetensors, .gguf) on this machine. It is used where it is, never copied."
      >
        {added ? (
          <div className="space-y-3" role="status" data-testid="model-added">
            <p className="text-sm">
              Added <strong>{added.name}</strong> as a <strong data-testid="added-family">{added.family ?? added.type}</strong> model.
            </p>
            <div className="flex gap-2">
              <Button size="sm" variant="outline" onClick={reset}>
                Add another
              </Button>
              <Link className="inline-flex h-8 items-center rounded-md px-3 text-xs underline" to={`/models/${added.id}`} onClick={() => setOpen(false)}>
                Open its page
              </Link>
            </div>
          </div>
        ) : (
          <form
            className="space-y-3"
            onSubmit={(e) => {
              e.preventDefault();
              add.mutate();
            }}
          >
            <Field label="Path" name="path" error={errors.path} hint="The absolute path of the folder (with model_index.json) or the file.">
              <Input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/models/my-model" required data-testid="add-model-path" autoFocus />
            </Field>
            <Field label="Name (optional)" name="name" error={errors.name}>
              <Input value={name} onChange={(e) => setName(e.target.value)} placeholder="the folder or file name" data-testid="add-model-name" />
            </Field>
            <Field label="Family" name="type" error={errors.type}>
              <Select value={type} onChange={(e) => setType(e.target.value)} data-testid="add-model-type">
                <option value="">Detect from the files</option>
                {(families.data ?? []).map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.label}
                    {f.legacy ? " (legacy)" : ""}
                  </option>
                ))}
              </Select>
            </Field>
            {general && (
              <p role="alert" className="text-xs text-destructive">
                {general}
              </p>
            )}
            <div className="flex justify-end gap-2">
              <Button variant="outline" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={add.isPending || !path.trim()} data-testid="add-model-submit">
                {add.isPending ? "Adding…" : "Add"}
              </Button>
            </div>
          </form>
        )}
      </Dialog>
    </>
  );
}
