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
import { Input, Select, Textarea } from "@/components/ui/input";

/** The split files beside a diffusion-model file: text-encoder paths one per line (or comma-separated), a VAE path,
 * further part files (LTX-2's audio VAE, its text connectors) as text encoders are typed. */
export interface SplitFiles {
  textEncoders: string;
  vae: string;
  parts?: string;
}

/** Text-encoder paths as typed: one per line or separated by commas, blanks and repeats dropped. */
export function splitPaths(text: string): string[] {
  const paths = text
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter(Boolean);
  return [...new Set(paths)];
}

/** The request for the dialog's fields: blanks left out, so the server reads the family from the files. */
export function addModelRequest(path: string, name: string, type: string, split?: SplitFiles): AddModelRequest {
  const req: AddModelRequest = { path: path.trim() };
  if (name.trim()) req.name = name.trim();
  if (type) req.type = type;
  const encoders = splitPaths(split?.textEncoders ?? "");
  if (encoders.length) req.text_encoders = encoders;
  if (split?.vae.trim()) req.vae = split.vae.trim();
  const parts = splitPaths(split?.parts ?? "");
  if (parts.length) req.parts = parts;
  return req;
}

const FIELDS = ["path", "name", "type", "text_encoders", "vae", "parts"];

/** "with 2 text encoders, a VAE and 1 part file": the split files an added model reads beside its own file ("" when none). */
export function splitSummary(model: Pick<LocalModelInfo, "text_encoders" | "vae" | "parts">): string {
  const count = (n: number, what: string) => (n ? `${n} ${what}${n === 1 ? "" : "s"}` : "");
  const found = [count(model.text_encoders.length, "text encoder"), model.vae ? "a VAE" : "", count(model.parts.length, "part file")];
  const named = found.filter(Boolean);
  if (!named.length) return "";
  const last = named.pop();
  return `with ${named.length ? `${named.join(", ")} and ${last}` : last}`;
}

/** A list of file paths typed one per line (split files: text encoders, part files). */
function PathsField(props: {
  label: string;
  name: "text_encoders" | "parts";
  error?: string;
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  hint?: string;
}) {
  return (
    <Field label={props.label} name={props.name} error={props.error} hint={`${props.hint ? `${props.hint} ` : ""}Absolute paths, one per line.`}>
      <Textarea
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        rows={2}
        placeholder={props.placeholder}
        data-testid={`add-model-${props.name.replace("_", "-")}`}
      />
    </Field>
  );
}

/** "Add a model": a local diffusers folder or weights file, used in place and kept in config.yaml. */
export function AddModelDialog() {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState("");
  const [name, setName] = useState("");
  const [type, setType] = useState("");
  const [textEncoders, setTextEncoders] = useState("");
  const [vae, setVae] = useState("");
  const [parts, setParts] = useState("");
  const [splitOpen, setSplitOpen] = useState(false);
  const [added, setAdded] = useState<LocalModelInfo | null>(null);
  const families = useQuery({ queryKey: qk.families, queryFn: fetchers.families, enabled: open, staleTime: 60_000 });
  const add = useMutation({
    mutationFn: () => fetchers.addModel(addModelRequest(path, name, type, { textEncoders, vae, parts })),
    onSuccess: (model) => {
      setAdded(model);
      void qc.invalidateQueries({ queryKey: qk.models });
      void qc.invalidateQueries({ queryKey: ["models-config-problems"] });
    },
  });
  const errors = fieldErrors(add.error);
  // Errors about a field the dialog shows go under it; any other (an id clash, config.yaml unreadable) below the form.
  const shown = add.error instanceof ApiError && FIELDS.includes((add.error.field ?? "").split(".")[0]);
  const splitError = errors.text_encoders ?? errors.vae ?? errors.parts;
  const general = add.error && !shown ? (add.error instanceof ApiError ? add.error.detail : String(add.error)) : null;
  const reset = () => {
    setPath("");
    setName("");
    setType("");
    setTextEncoders("");
    setVae("");
    setParts("");
    setSplitOpen(false);
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
              Added <strong>{added.name}</strong> as a <strong data-testid="added-family">{added.family ?? added.type}</strong> model
              {splitSummary(added) && <span data-testid="added-split">{` ${splitSummary(added)}`}</span>}.
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
            <details
              className="rounded-md border border-border px-3 py-2"
              open={splitOpen || Boolean(splitError)}
              onToggle={(e) => setSplitOpen(e.currentTarget.open)}
              data-testid="add-model-split"
            >
              <summary className="cursor-pointer text-xs font-medium">Split files (optional)</summary>
              <p className="mt-1 text-xs text-muted-foreground">
                For a diffusion-model-only file (ComfyUI&apos;s diffusion_models/): its text encoders and VAE, as ComfyUI keeps them in text_encoders/ and vae/.
              </p>
              <div className="mt-2 space-y-3">
                <PathsField
                  label="Text-encoder files"
                  name="text_encoders"
                  error={errors.text_encoders}
                  value={textEncoders}
                  onChange={setTextEncoders}
                  placeholder={"/home/me/ComfyUI/models/text_encoders/clip_l.safetensors\n…/t5xxl_fp8_e4m3fn.safetensors"}
                />
                <Field label="VAE file" name="vae" error={errors.vae}>
                  <Input value={vae} onChange={(e) => setVae(e.target.value)} placeholder="/home/me/ComfyUI/models/vae/ae.safetensors" data-testid="add-model-vae" />
                </Field>
                <PathsField
                  label="Other part files"
                  name="parts"
                  error={errors.parts}
                  value={parts}
                  onChange={setParts}
                  hint="LTX-2 from separate files: its audio VAE and text connectors."
                  placeholder={"/home/me/ComfyUI/models/vae/LTX2_audio_vae_bf16.safetensors\n…/ltx-2-19b-embeddings_connector_dev_bf16.safetensors"}
                />
              </div>
            </details>
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
