/**
 * ComfyUI: the server's status, import of workflow files (either format, or a ComfyUI PNG), the
 * saved workflows as cards, and a simple form built from a workflow's parameter list. Jobs run on
 * the studio's one queue; progress and previews come from the live events like any other job.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, Pin, PinOff, Trash2, Upload } from "lucide-react";
import { useMemo, useRef, useState, type DragEvent } from "react";
import { Link } from "react-router-dom";
import { ApiError, api, del, get, post } from "@/api/client";
import type { components } from "@/api/schema";
import type { Job, Sent } from "@/api/types";
import { useLive } from "@/live/store";
import { JobProgress } from "@/components/JobProgress";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, Select, Textarea } from "@/components/ui/input";
import { Card, Empty, ErrorText, PageHeader } from "@/components/ui/misc";
import { cn } from "@/lib/utils";

type S = components["schemas"];

/** GET /api/comfyui/status: a union on `reachable`. */
type ComfyStatus = Sent<S["ComfyReachable"]> | Sent<S["ComfyUnreachable"]>;
type ComfyParameter = Sent<S["Parameter"]>;
type WorkflowSummary = Sent<S["WorkflowSummary"]>;
type Workflow = Sent<S["WorkflowView"]>;
type WorkflowImported = Sent<S["WorkflowImported"]>;
type WorkflowCheck = Sent<S["WorkflowCheck"]>;
type Problem = Sent<S["Problem"]>;
type ComfyJobRequest = S["ComfyJobRequest"];
type ComfyJobAccepted = Sent<S["ComfyJobAccepted"]>;
type ComfyJobView = Sent<S["ComfyJobView"]>;
type ComfyUpload = Sent<S["ComfyUpload"]>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** A parameter's `constraints` (an open mapping in the schema: min, max, step, choices, multiline), narrowed. */
export function constraintsOf(p: Pick<ComfyParameter, "constraints">) {
  const c: Obj = isObj(p.constraints) ? p.constraints : {};
  return {
    min: num(c.min),
    max: num(c.max),
    step: num(c.step),
    choices: Array.isArray(c.choices) ? (c.choices as unknown[]) : undefined,
    multiline: c.multiline === true,
    slider: isObj(c.slider) && num(c.slider.min) !== undefined && num(c.slider.max) !== undefined
      ? { min: num(c.slider.min) as number, max: num(c.slider.max) as number, step: num(c.slider.step) }
      : undefined,
  };
}

interface GraphNode {
  class_type: string;
  inputs: Obj;
  title: string | null;
}

/** The nodes of an API graph (`workflow_json`, an open mapping in the schema): entries that are not nodes are left out. */
export function nodesOf(graph: Obj): [string, GraphNode][] {
  return Object.entries(graph).flatMap(([id, v]): [string, GraphNode][] =>
    isObj(v) && typeof v.class_type === "string"
      ? [
          [
            id,
            {
              class_type: v.class_type,
              inputs: isObj(v.inputs) ? v.inputs : {},
              title: isObj(v._meta) && typeof v._meta.title === "string" ? v._meta.title : null,
            },
          ],
        ]
      : [],
  );
}

/** The `errors` of a 422 from the ComfyUI endpoints, when they are problems. */
export function problemsOf(e: unknown): Problem[] | null {
  if (!(e instanceof ApiError) || !Array.isArray(e.errors)) return null;
  return e.errors
    .filter((p): p is Obj => isObj(p) && typeof p.message === "string")
    .map((p) => ({
      type: typeof p.type === "string" ? p.type : "invalid",
      message: p.message as string,
      node_id: typeof p.node_id === "string" ? p.node_id : null,
      node_class: typeof p.node_class === "string" ? p.node_class : null,
      input_name: typeof p.input_name === "string" ? p.input_name : null,
      value: p.value,
    }));
}

/** A ComfyUI job as JobProgress shows it: the job view (its workflow values as params), then the live state. */
export function comfyJobView(view: ComfyJobView | undefined, live: Job | undefined): Job | undefined {
  if (!view) return live;
  const { workflow_id: _w, parameters, batch_index: _b, prompt_id: _p, outputs: _o, ...rest } = view;
  return { ...rest, params: parameters, ...(live ?? {}) };
}

const isLink = (v: unknown) => Array.isArray(v) && v.length === 2 && typeof v[1] === "number";

export function ComfyUIPage() {
  const qc = useQueryClient();
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState<string[]>([]);
  const status = useQuery({
    queryKey: ["comfyui", "status"],
    queryFn: () => get<ComfyStatus>("/api/comfyui/status"),
    refetchInterval: 15_000,
  });
  const workflows = useQuery({
    queryKey: ["comfyui", "workflows"],
    queryFn: () => get<WorkflowSummary[]>("/api/comfyui/workflows"),
  });
  const importer = useMutation({
    mutationFn: (file: File) => {
      const form = new FormData();
      form.append("file", file);
      return api<WorkflowImported>("/api/comfyui/workflows", { method: "POST", body: form });
    },
    onSuccess: (wf) => {
      setNotice([...wf.warnings, ...wf.problems.map((p) => p.message)]);
      setSelected(wf.id);
      qc.invalidateQueries({ queryKey: ["comfyui", "workflows"] });
    },
  });

  return (
    <div className="space-y-4" data-testid="comfyui-page">
      <PageHeader title="ComfyUI">
        <ServerStatus status={status.data} />
      </PageHeader>
      <ImportZone onFile={(f) => importer.mutate(f)} busy={importer.isPending} />
      {importer.error ? <ErrorText error={importer.error} /> : null}
      {notice.length > 0 && (
        <ul className="space-y-1 text-xs text-warning" data-testid="import-notices">
          {notice.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-6" data-testid="workflow-cards">
        {(workflows.data ?? []).map((wf) => (
          <button
            key={wf.id}
            type="button"
            onClick={() => setSelected(wf.id)}
            data-testid="workflow-card"
            className={cn(
              "overflow-hidden rounded-lg border border-border bg-card text-left text-sm hover:border-primary",
              selected === wf.id && "border-primary ring-1 ring-primary",
            )}
          >
            <div className="aspect-square bg-muted">
              {wf.thumbnail_url && <img src={wf.thumbnail_url} alt="" className="h-full w-full object-cover" />}
            </div>
            <div className="p-2">
              <div className="truncate font-medium">{wf.name}</div>
              <div className="text-xs text-muted-foreground">
                {wf.node_count} nodes · {wf.source_format}
              </div>
            </div>
          </button>
        ))}
      </div>
      {workflows.data && workflows.data.length === 0 && <Empty>No workflows yet: import one above.</Empty>}
      {selected && <WorkflowForm key={selected} id={selected} onDeleted={() => setSelected(null)} />}
    </div>
  );
}

function ServerStatus({ status }: { status?: ComfyStatus }) {
  if (!status) return <span className="text-xs text-muted-foreground">Checking the ComfyUI server…</span>;
  return (
    <span className="text-xs" data-testid="comfyui-status" data-reachable={status.reachable}>
      <span className={cn("mr-1 inline-block h-2 w-2 rounded-full", status.reachable ? "bg-success" : "bg-destructive")} />
      {status.reachable
        ? `ComfyUI ${status.version ?? ""} at ${status.url} · ${status.devices[0]?.name ?? "?"} · queue ${status.queue_length}`
        : `ComfyUI at ${status.url} is unreachable${status.error ? `: ${status.error}` : ""}`}
    </span>
  );
}

function ImportZone({ onFile, busy }: { onFile: (f: File) => void; busy: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const file = e.dataTransfer.files?.[0];
    if (file) onFile(file);
  };
  return (
    <div
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
      data-testid="import-drop"
      className={cn(
        "flex items-center justify-between gap-3 rounded-lg border border-dashed border-border p-4 text-sm",
        over && "border-primary bg-muted",
      )}
    >
      <span className="text-muted-foreground">
        Drop a ComfyUI workflow here: a .json in either format (editor or API), or a PNG/WebP made by ComfyUI.
      </span>
      <Button onClick={() => input.current?.click()} disabled={busy}>
        <Upload className="mr-1 h-4 w-4" /> {busy ? "Importing…" : "Import workflow"}
      </Button>
      <input
        ref={input}
        type="file"
        accept=".json,application/json,image/png,image/webp"
        className="hidden"
        data-testid="import-file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) onFile(file);
          e.target.value = "";
        }}
      />
    </div>
  );
}

function WorkflowForm({ id, onDeleted }: { id: string; onDeleted: () => void }) {
  const qc = useQueryClient();
  const wf = useQuery({ queryKey: ["comfyui", "workflow", id], queryFn: () => get<Workflow>(`/api/comfyui/workflows/${id}`) });
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [batch, setBatch] = useState(1);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [jobIds, setJobIds] = useState<string[]>([]);
  const refresh = (data: Workflow) => qc.setQueryData(["comfyui", "workflow", id], data);

  const run = useMutation({
    mutationFn: () =>
      post<ComfyJobAccepted>("/api/comfyui/jobs", { workflow_id: id, parameters: values, batch_count: batch } satisfies ComfyJobRequest),
    onMutate: () => setProblems([]),
    onSuccess: (r) => setJobIds((ids) => [...r.job_ids, ...ids]),
    onError: (e) => {
      const found = problemsOf(e);
      if (found) setProblems(found);
    },
  });
  const [checkedOk, setCheckedOk] = useState(false);
  const check = useMutation({
    mutationFn: () => post<WorkflowCheck>(`/api/comfyui/workflows/${id}/check`, { parameters: values }),
    onMutate: () => setCheckedOk(false),
    onSuccess: (r) => {
      setProblems(r.problems);
      setCheckedOk(r.problems.length === 0);
    },
    onError: (e) => {
      const found = problemsOf(e);
      if (found) setProblems(found);
    },
  });
  const remove = useMutation({
    mutationFn: () => del(`/api/comfyui/workflows/${id}`),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: ["comfyui", "workflows"] });
      onDeleted();
    },
  });

  if (wf.isLoading) return <p className="text-sm text-muted-foreground">Loading the workflow…</p>;
  if (wf.error || !wf.data) return <ErrorText error={wf.error} />;
  const params = wf.data.parameters;
  const problemFor = (key: string) => problems.find((p) => `${p.node_id}.${p.input_name}` === key)?.message;
  return (
    <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
      <Card className="space-y-3 p-4" data-testid="comfyui-form">
        <div className="flex items-center justify-between">
          <h2 className="text-base font-semibold">{wf.data.name}</h2>
          <Button variant="ghost" size="icon" aria-label="Delete workflow" onClick={() => remove.mutate()}>
            <Trash2 className="h-4 w-4" />
          </Button>
        </div>
        {!wf.data.server_checked && (
          <p className="text-xs text-warning">The ComfyUI server is unreachable: choices and checks wait for it.</p>
        )}
        {params.map((p) => (
          <ParameterField
            key={p.key}
            param={p}
            value={p.key in values ? values[p.key] : p.current_value}
            error={problemFor(p.key)}
            onChange={(v) => {
              setValues((old) => ({ ...old, [p.key]: v }));
              setCheckedOk(false);
            }}
          />
        ))}
        <Field label="Batch count" hint="Runs N times with seeds seed, seed+1, …">
          <Input type="number" min={1} max={100} value={batch} onChange={(e) => setBatch(Number(e.target.value) || 1)} />
        </Field>
        {problems.length > 0 && (
          <ul role="alert" className="space-y-1 rounded-md border border-destructive p-2 text-xs text-destructive" data-testid="comfyui-problems">
            {problems.map((p, i) => (
              <li key={i}>{p.message}</li>
            ))}
          </ul>
        )}
        {run.error && !problems.length ? <ErrorText error={run.error} /> : null}
        <div className="flex gap-2">
          <Button onClick={() => run.mutate()} disabled={run.isPending} data-testid="comfyui-run">
            {run.isPending ? "Queueing…" : "Run"}
          </Button>
          <Button variant="outline" onClick={() => check.mutate()} disabled={check.isPending} data-testid="comfyui-check">
            {check.isPending ? "Checking…" : "Check"}
          </Button>
        </div>
        {checkedOk && (
          <p role="status" className="flex items-center gap-2 rounded-md border border-success/40 bg-success/10 px-3 py-2 text-sm text-success" data-testid="comfyui-check-ok">
            <CheckCircle2 className="h-4 w-4" aria-hidden /> The server has every node and file this workflow needs, and the values are in range: ready to run.
          </p>
        )}
        {check.error && !problems.length ? <ErrorText error={check.error} /> : null}
        <NodeView workflow={wf.data} onChange={refresh} />
      </Card>
      <div className="space-y-3">
        {jobIds.map((jid) => (
          <ComfyJob key={jid} id={jid} />
        ))}
      </div>
    </div>
  );
}

function ParameterField({
  param,
  value,
  error,
  onChange,
}: {
  param: ComfyParameter;
  value: unknown;
  error?: string;
  onChange: (v: unknown) => void;
}) {
  const c = constraintsOf(param);
  const name = param.key;
  const label = param.display_name;
  if (param.input_type === "IMAGE") return <ImageParameter param={param} value={value} error={error} onChange={onChange} />;
  if (c.choices && c.choices.length > 0) {
    // A value the server does not offer (a checkpoint it lacks) stays shown and selected, so what is
    // shown is what is sent, and the field says to choose one the server has.
    const missing = value != null && value !== "" && !c.choices.some((choice) => String(choice) === String(value));
    const missingText = missing
      ? `The workflow names ${String(value)}, which this ComfyUI server does not have: choose one of its ${c.choices.length} ${param.category === "model" ? "files" : "choices"}.`
      : undefined;
    return (
      <Field label={label} error={error ?? missingText} name={name}>
        <Select value={String(value ?? "")} onChange={(e) => onChange(e.target.value)} data-testid={`param-${name}`} data-missing={missing || undefined}>
          {missing && (
            <option value={String(value)} disabled>
              {String(value)} (not on the server)
            </option>
          )}
          {c.choices.map((choice) => (
            <option key={String(choice)} value={String(choice)}>
              {String(choice)}
            </option>
          ))}
        </Select>
      </Field>
    );
  }
  if (param.input_type === "STRING") {
    const Control = param.category === "prompt" || c.multiline ? Textarea : Input;
    return (
      <Field label={label} error={error} name={name}>
        <Control value={String(value ?? "")} onChange={(e) => onChange(e.target.value)} data-testid={`param-${name}`} />
      </Field>
    );
  }
  if (param.input_type === "BOOLEAN") {
    return (
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={Boolean(value)} onChange={(e) => onChange(e.target.checked)} /> {label}
      </label>
    );
  }
  if (param.input_type === "INT" || param.input_type === "FLOAT") {
    const isInt = param.input_type === "INT";
    // The server gives a slider's usual range (steps 1–150, cfg 0–30, sizes 64–4096); an input without
    // one gets a slider only over a small hard range. Seeds are typed.
    const range = c.slider ?? (c.min !== undefined && c.max !== undefined && c.max - c.min <= 100 ? { min: c.min, max: c.max, step: c.step } : undefined);
    const slider = range && param.category !== "seed" ? range : undefined;
    const parse = (raw: string) => (raw === "" ? raw : isInt ? parseInt(raw, 10) : parseFloat(raw));
    return (
      <Field label={label} error={error} name={name} hint={rangeHint(param.category, c, slider)}>
        <div className="flex items-center gap-2">
          {slider && (
            <input
              type="range"
              aria-label={`${label} slider`}
              min={slider.min}
              max={slider.max}
              step={slider.step ?? c.step ?? (isInt ? 1 : 0.01)}
              value={Number(value ?? 0)}
              data-testid={`slider-${name}`}
              onChange={(e) => onChange(parse(e.target.value))}
              className="flex-1"
            />
          )}
          <Input
            type="number"
            className={slider ? "w-28" : undefined}
            min={c.min}
            max={c.max}
            step={c.step ?? (isInt ? 1 : "any")}
            value={String(value ?? "")}
            onChange={(e) => onChange(parse(e.target.value))}
            data-testid={`param-${name}`}
          />
        </div>
      </Field>
    );
  }
  return (
    <Field label={label} error={error} name={name}>
      <Input value={String(value ?? "")} onChange={(e) => onChange(e.target.value)} />
    </Field>
  );
}

/** Under a number: the slider's range and, where the server allows more, how far typing may go. */
function rangeHint(category: string, c: ReturnType<typeof constraintsOf>, slider: { min: number; max: number } | undefined): string | undefined {
  if (category === "seed") return "A whole number: the same seed repeats the result.";
  if (slider) return c.max !== undefined && c.max > slider.max ? `${slider.min} – ${slider.max} (type up to ${c.max})` : `${slider.min} – ${slider.max}`;
  return c.min !== undefined && c.max !== undefined ? `${c.min} – ${c.max}` : undefined;
}

function ImageParameter({ param, value, error, onChange }: { param: ComfyParameter; value: unknown; error?: string; onChange: (v: unknown) => void }) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const upload = async (file: File) => {
    setBusy(true);
    setFailure(null);
    try {
      const form = new FormData();
      form.append("image", file);
      // `name` is the file on the server (the backend answers 502 when ComfyUI does not say it).
      const r = await api<ComfyUpload>("/api/comfyui/upload", { method: "POST", body: form });
      onChange(r.name);
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Field label={param.display_name} error={error} name={param.key} hint={`On the server: ${String(value ?? "")}`}>
      <div
        className="rounded-md border border-dashed border-border p-3 text-xs text-muted-foreground"
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          const f = e.dataTransfer.files?.[0];
          if (f) void upload(f);
        }}
      >
        {busy ? "Uploading…" : "Drop an image or "}
        <input type="file" accept="image/*" aria-label={`${param.display_name} file`} onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])} />
        {failure ? <ErrorText error={failure} /> : null}
      </div>
    </Field>
  );
}

/** Every node with its literal inputs: pin one to the form, or unpin it. */
function NodeView({ workflow, onChange }: { workflow: Workflow; onChange: (w: Workflow) => void }) {
  const pinned = useMemo(() => new Set(workflow.parameters.filter((p) => p.pinned).map((p) => p.key)), [workflow]);
  const nodes = useMemo(() => nodesOf(workflow.workflow_json), [workflow]);
  const shown = useMemo(() => new Set(workflow.parameters.map((p) => p.key)), [workflow]);
  const toggle = async (nodeId: string, input: string) => {
    const key = `${nodeId}.${input}`;
    const updated = pinned.has(key)
      ? await del<Workflow>(`/api/comfyui/workflows/${workflow.id}/pins/${encodeURIComponent(nodeId)}/${encodeURIComponent(input)}`)
      : await post<Workflow>(`/api/comfyui/workflows/${workflow.id}/pins`, { node_id: nodeId, input_name: input });
    onChange(updated);
  };
  return (
    <details className="text-xs" data-testid="node-view">
      <summary className="cursor-pointer text-muted-foreground">Nodes ({nodes.length}) · pin more inputs</summary>
      <ul className="mt-2 space-y-2">
        {nodes.map(([nodeId, node]) => (
          <li key={nodeId}>
            <div className="font-medium">
              #{nodeId} {node.title ?? node.class_type}
            </div>
            <ul className="ml-3">
              {Object.entries(node.inputs)
                .filter(([, v]) => !isLink(v))
                .map(([input, v]) => {
                  const key = `${nodeId}.${input}`;
                  return (
                    <li key={input} className="flex items-center gap-2">
                      <span className="text-muted-foreground">{input}</span>
                      <span className="truncate">{JSON.stringify(v).slice(0, 40)}</span>
                      {(pinned.has(key) || !shown.has(key)) && (
                        <button
                          type="button"
                          className="ml-auto text-muted-foreground hover:text-foreground"
                          aria-label={pinned.has(key) ? `Unpin ${key}` : `Pin ${key}`}
                          onClick={() => void toggle(nodeId, input)}
                        >
                          {pinned.has(key) ? <PinOff className="h-3 w-3" /> : <Pin className="h-3 w-3" />}
                        </button>
                      )}
                    </li>
                  );
                })}
            </ul>
          </li>
        ))}
      </ul>
    </details>
  );
}

function ComfyJob({ id }: { id: string }) {
  const live = useLive((s) => s.jobs[id]);
  const job = useQuery({
    queryKey: ["comfyui", "job", id, live?.status],
    queryFn: () => get<ComfyJobView>(`/api/comfyui/jobs/${id}`),
  });
  const j = comfyJobView(job.data, live);
  if (!j) return null;
  const images = j.images ?? [];
  return (
    <div className="space-y-2" data-testid="comfyui-job" data-status={j.status}>
      <JobProgress job={j} onCancel={(jid) => void post(`/api/jobs/${jid}/cancel`)} />
      {images.length > 0 && (
        <div className="grid grid-cols-3 gap-2" data-testid="comfyui-results">
          {images.map((img) => (
            <Link key={img.id} to={`/assets/${img.id}`} data-testid="comfyui-result">
              <img src={img.thumbnail_url ?? img.url} alt="ComfyUI result" className="aspect-square w-full rounded-md object-cover" />
            </Link>
          ))}
        </div>
      )}
    </div>
  );
}
