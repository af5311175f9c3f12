import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowDown, ArrowUp, Ban, Download, Plus, RefreshCw, RotateCcw, Play, Sparkles, Trash2, Wand2 } from "lucide-react";
import { useEffect, useMemo, useReducer, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { fieldErrors } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import { useLive } from "@/live/store";
import { sizeFor, sizeRulesOf, snapTo } from "@/lib/aspect";
import { batchSizes, useRequestLimits } from "@/lib/validation";
import { cn, plural, relativeTime, titleFromPrompt } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, Select, Textarea } from "@/components/ui/input";
import { Badge, Card, Empty, ErrorText, PageHeader, ProgressBar } from "@/components/ui/misc";
import { StatusBadge } from "@/components/jobs";
import { AspectSelector } from "@/pages/image/AspectSelector";
import { ModelSelect, RemoteModelBadge, modelHint } from "@/pages/image/ModelSelect";
import { formatUsd, isRemoteModel, localOf } from "@/pages/providers/api";
import type { ModelInfo } from "@/api/types";
import { useImageModelChoices } from "@/pages/providers/hooks";
import { bulkApi, bulkKeys, type BulkItem, type BulkRequest, type BulkView } from "./api";
import { batchSignature, batchSummary, costText, estimateCost, mergeLive } from "./batch";
import {
  MAX_VARIATIONS,
  listProblem,
  loadDraft,
  promptsOf,
  regenerateGuidance,
  saveDraft,
  variationFormErrors,
  variationsReducer,
  type Variation,
} from "./variations";

const LLM_BACKENDS = [
  { id: "anthropic", name: "Anthropic" },
  { id: "openai_compatible", name: "OpenAI-compatible (local LLM)" },
];

interface RunParams {
  model: string;
  aspect: string | null;
  width: number;
  height: number;
  steps: number | null;
  guidance_scale: number | null;
  negative_prompt: string;
  seed: number | null;
  num_images: number;
}

const PARAMS_KEY = "hollywool.bulkParams";

function loadParams(): RunParams {
  const d: RunParams = { model: "", aspect: "1:1", width: 1024, height: 1024, steps: null, guidance_scale: null, negative_prompt: "", seed: null, num_images: 1 };
  try {
    return { ...d, ...(JSON.parse(localStorage.getItem(PARAMS_KEY) ?? "{}") as Partial<RunParams>) };
  } catch {
    return d;
  }
}

export function BulkPage() {
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const sessionId = params.get("session");
  const batchId = params.get("batch");
  const select = (next: { session?: string | null; batch?: string | null }) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    setParams(p);
  };

  // Refetch the batch (and the batch list) whenever the websocket says one of its jobs changed state.
  const signature = useLive((s) => batchSignature(s.jobs, batchId));
  useEffect(() => {
    if (!batchId || !signature) return;
    void qc.invalidateQueries({ queryKey: bulkKeys.job(batchId) });
    void qc.invalidateQueries({ queryKey: ["bulk", "jobs"] });
    void qc.invalidateQueries({ queryKey: bulkKeys.sessions });
  }, [signature, batchId, qc]);

  return (
    <div className="flex flex-col gap-4 lg:flex-row">
      <BulkSidebar sessionId={sessionId} batchId={batchId} onSelect={select} />
      <div className="min-w-0 flex-1 space-y-4">
        <PageHeader title="Bulk generation" />
        <Composer sessionId={sessionId} onStarted={(session, batch) => select({ session, batch })} />
        {batchId && <BatchView batchId={batchId} />}
      </div>
    </div>
  );
}

/** Idea -> LLM variations -> an editable list -> model and parameters -> run. */
function Composer({ sessionId, onStarted }: { sessionId: string | null; onStarted: (session: string, batch: string) => void }) {
  const limits = useRequestLimits();
  const qc = useQueryClient();
  const draft = useMemo(() => loadDraft(), []);
  const [idea, setIdea] = useState(draft?.idea ?? "");
  const [count, setCount] = useState<number>(draft?.count ?? 8);
  const [style, setStyle] = useState(draft?.style ?? "");
  const { data: prefs } = useQuery({ queryKey: qk.settings, queryFn: fetchers.settings });
  const [llm, setLlm] = useState<string | null>(null);
  const [llmModel, setLlmModel] = useState("");
  const backend = llm ?? prefs?.llm_provider ?? "anthropic";
  const [list, dispatch] = useReducer(variationsReducer, draft?.list ?? []);
  const [formErrors, setFormErrors] = useState<Record<string, string | undefined>>({});
  const [regenerating, setRegenerating] = useState<string | null>(null);
  const [run, setRun] = useState<RunParams>(loadParams);
  const [runError, setRunError] = useState<string | null>(null);
  const choices = useImageModelChoices();
  const model = choices.all.find((m) => m.id === run.model);
  const remote = isRemoteModel(model);
  const localModel = localOf(model);

  useEffect(() => saveDraft({ idea, count, style, list }), [idea, count, style, list]);
  useEffect(() => localStorage.setItem(PARAMS_KEY, JSON.stringify(run)), [run]);
  useEffect(() => {
    if (!choices.local || choices.all.length === 0 || choices.all.some((m) => m.id === run.model)) return;
    const pick = choices.all.find((m) => m.id === prefs?.default_model) ?? choices.all[0];
    setRun((r) => withRunModel(r, pick?.id ?? "", pick));
  }, [choices.local, choices.all, prefs?.default_model, run.model]);

  const llmChoice = { provider: backend, model: llmModel.trim() || null };
  const variations = useMutation({
    mutationFn: () => bulkApi.variations({ base_prompt: idea.trim(), count, style_guidance: style.trim() || null, llm: llmChoice }),
    onSuccess: (res) => dispatch({ type: "replace", texts: res.variations }),
    onError: (e) => setFormErrors(fieldErrors(e)),
  });
  const regenerate = useMutation({
    mutationFn: async (v: Variation) => {
      setRegenerating(v.key);
      const others = list.filter((o) => o.key !== v.key).map((o) => o.text);
      const res = await bulkApi.variations({
        base_prompt: idea.trim() || v.text,
        count: 1,
        style_guidance: regenerateGuidance(style, others) || null,
        llm: llmChoice,
      });
      return { key: v.key, text: res.variations[0] ?? v.text };
    },
    onSuccess: ({ key, text }) => dispatch({ type: "edit", key, text }),
    onSettled: () => setRegenerating(null),
  });

  const askVariations = () => {
    const e = variationFormErrors(idea, count);
    setFormErrors(e);
    if (Object.values(e).some(Boolean)) return;
    if (list.length && !confirm(`Replace the ${list.length} prompts in the list with new variations?`)) return;
    variations.mutate();
  };

  const start = useMutation({
    mutationFn: async () => {
      let sid = sessionId;
      if (!sid) sid = (await bulkApi.createSession(titleFromPrompt(idea || list[0]?.text || "Bulk batch"))).id;
      const body: BulkRequest = {
        prompts: promptsOf(list),
        model: run.model,
        width: run.width,
        height: run.height,
        steps: run.steps,
        guidance_scale: run.guidance_scale,
        negative_prompt: run.negative_prompt.trim() || null,
        seed: run.seed,
        num_images: run.num_images,
        base_prompt: idea.trim() || null,
        session_id: sid,
      };
      const res = await bulkApi.create(body);
      return { sid, batch: res.job_id };
    },
    onSuccess: ({ sid, batch }) => {
      setRunError(null);
      void qc.invalidateQueries({ queryKey: ["bulk"] });
      void qc.invalidateQueries({ queryKey: ["jobs"] });
      onStarted(sid, batch);
    },
    onError: (e) => setRunError(e instanceof Error ? e.message : String(e)),
  });
  const problem = listProblem(list) ?? (run.model ? null : "Choose a model.");
  const estimate = remote ? estimateCost(model.price, list.length, run.num_images) : null;
  const sizeRules = sizeRulesOf(model); // the model's size rules, as /api/models gives them

  return (
    <>
      <Card className="space-y-4 p-4" aria-label="Idea">
        <h2 className="text-sm font-semibold">1. Idea</h2>
        <Field label="Idea" name="base_prompt" error={formErrors.base_prompt}>
          <Textarea data-testid="bulk-idea" rows={2} value={idea} placeholder="A cosy reading nook in different places and seasons" onChange={(e) => setIdea(e.target.value)} />
        </Field>
        <div className="grid gap-4 md:grid-cols-[8rem_1fr]">
          <Field label="Variations" name="count" error={formErrors.count} hint={`1 to ${MAX_VARIATIONS}`}>
            <Input type="number" data-testid="bulk-count" min={1} max={MAX_VARIATIONS} value={count} onChange={(e) => setCount(Number(e.target.value))} />
          </Field>
          <Field label="Style guidance" name="style_guidance" error={formErrors.style_guidance}>
            <Input data-testid="bulk-style" value={style} placeholder="watercolour, soft light, no people" onChange={(e) => setStyle(e.target.value)} />
          </Field>
        </div>
        <div className="grid gap-4 md:grid-cols-2">
          <Field label="LLM" name="llm.provider" error={formErrors["llm.provider"] ?? formErrors.llm}>
            <Select data-testid="bulk-llm" value={backend} onChange={(e) => setLlm(e.target.value)}>
              {LLM_BACKENDS.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="LLM model" name="llm.model" hint={<Link to={`/providers/${backend}`} className="text-primary hover:underline">Configure this LLM</Link>}>
            <Input data-testid="bulk-llm-model" value={llmModel} placeholder={prefs?.llm_provider === backend && prefs?.llm_model ? prefs.llm_model : "the backend's default"} onChange={(e) => setLlmModel(e.target.value)} />
          </Field>
        </div>
        {variations.error && !Object.keys(fieldErrors(variations.error)).length && <ErrorText error={variations.error} />}
        <div className="flex justify-end">
          <Button data-testid="bulk-generate-variations" onClick={askVariations} disabled={variations.isPending}>
            <Wand2 className="h-4 w-4" aria-hidden />
            {variations.isPending ? "Writing variations…" : "Generate variations"}
          </Button>
        </div>
      </Card>

      <Card className="space-y-3 p-4" aria-label="Prompts">
        <div className="flex items-center justify-between">
          <h2 className="text-sm font-semibold">
            2. Prompts <span className="font-normal text-muted-foreground">({list.length})</span>
          </h2>
          <div className="flex gap-2">
            <Button size="sm" variant="outline" data-testid="variation-add" onClick={() => dispatch({ type: "add" })}>
              <Plus className="h-3.5 w-3.5" aria-hidden /> Add prompt
            </Button>
            {list.length > 0 && (
              <Button size="sm" variant="ghost" onClick={() => confirm("Clear the list?") && dispatch({ type: "clear" })}>
                Clear
              </Button>
            )}
          </div>
        </div>
        {list.length === 0 ? (
          <Empty>Generate variations from the idea, or add prompts yourself.</Empty>
        ) : (
          <ol className="space-y-2" data-testid="variation-list">
            {list.map((v, i) => (
              <li key={v.key} className="flex items-start gap-2" data-testid="variation">
                <span className="w-7 pt-2 text-right text-xs tabular-nums text-muted-foreground">{i + 1}.</span>
                <Textarea
                  aria-label={`Prompt ${i + 1}`}
                  data-testid="variation-text"
                  rows={2}
                  className="min-h-12 flex-1"
                  value={v.text}
                  disabled={regenerating === v.key}
                  aria-invalid={!v.text.trim() ? true : undefined}
                  onChange={(e) => dispatch({ type: "edit", key: v.key, text: e.target.value })}
                />
                <div className="flex shrink-0 flex-col gap-0.5 sm:flex-row">
                  <Button size="icon" variant="ghost" className="h-8 w-8" aria-label={`Move prompt ${i + 1} up`} disabled={i === 0} onClick={() => dispatch({ type: "move", key: v.key, delta: -1 })}>
                    <ArrowUp className="h-4 w-4" />
                  </Button>
                  <Button size="icon" variant="ghost" className="h-8 w-8" aria-label={`Move prompt ${i + 1} down`} disabled={i === list.length - 1} onClick={() => dispatch({ type: "move", key: v.key, delta: 1 })}>
                    <ArrowDown className="h-4 w-4" />
                  </Button>
                  <Button
                    size="icon"
                    variant="ghost"
                    className="h-8 w-8"
                    data-testid="variation-regenerate"
                    aria-label={`Regenerate prompt ${i + 1}`}
                    title="Ask the LLM for a different prompt"
                    disabled={regenerate.isPending}
                    onClick={() => regenerate.mutate(v)}
                  >
                    <RefreshCw className={cn("h-4 w-4", regenerating === v.key && "animate-spin")} />
                  </Button>
                  <Button size="icon" variant="ghost" className="h-8 w-8" data-testid="variation-remove" aria-label={`Remove prompt ${i + 1}`} onClick={() => dispatch({ type: "remove", key: v.key })}>
                    <Trash2 className="h-4 w-4" />
                  </Button>
                </div>
              </li>
            ))}
          </ol>
        )}
        <ErrorText error={regenerate.error} />
      </Card>

      <Card className="space-y-4 p-4" aria-label="Model and parameters">
        <h2 className="text-sm font-semibold">3. Model and parameters</h2>
        <div className="grid gap-4 md:grid-cols-2">
          <div className="space-y-2">
            <Field label="Model" name="model" hint={model ? modelHint(model) || model.description : choices.isLoading ? "Loading the catalogue…" : undefined}>
              <ModelSelect
                models={choices.all}
                value={run.model}
                onChange={(id) => {
                  const m = choices.all.find((x) => x.id === id);
                  setRun((r) => withRunModel(r, id, m));
                }}
              />
            </Field>
            <RemoteModelBadge model={model} />
          </div>
          <Field label="Negative prompt" name="negative_prompt">
            <Input data-testid="bulk-negative" value={run.negative_prompt} placeholder="blurry, low quality" onChange={(e) => setRun((r) => ({ ...r, negative_prompt: e.target.value }))} />
          </Field>
        </div>
        <div className="space-y-2">
          <span className="text-xs font-medium text-muted-foreground">Aspect ratio</span>
          <AspectSelector
            value={run.aspect}
            onChange={(a) => setRun((r) => ({ ...r, aspect: a, ...sizeFor(sizeRules, a, r) }))}
          />
        </div>
        <div className="grid gap-4 sm:grid-cols-3 lg:grid-cols-6">
          {(["width", "height"] as const).map((k) => (
            <Field key={k} label={k === "width" ? "Width" : "Height"} name={k} hint={sizeRules ? `multiple of ${sizeRules.multiple}` : undefined}>
              <Input
                type="number"
                data-testid={`bulk-${k}`}
                min={sizeRules?.min}
                max={sizeRules?.max}
                step={sizeRules?.multiple}
                value={run[k]}
                onChange={(e) => setRun((r) => ({ ...r, [k]: Number(e.target.value), aspect: null }))}
                onBlur={() => sizeRules && setRun((r) => ({ ...r, [k]: snapTo(r[k], sizeRules) }))}
              />
            </Field>
          ))}
          <Field label="Steps" name="steps">
            <Input
              type="number"
              data-testid="bulk-steps"
              min={limits?.steps.min}
              max={limits?.steps.max}
              value={run.steps ?? ""}
              placeholder={String(localModel?.default_steps ?? "")}
              onChange={(e) => setRun((r) => ({ ...r, steps: e.target.value === "" ? null : Number(e.target.value) }))}
            />
          </Field>
          <Field label="Guidance" name="guidance_scale">
            <Input
              type="number"
              data-testid="bulk-guidance"
              step={0.5}
              min={limits?.guidance_scale.min}
              max={limits?.guidance_scale.max}
              value={run.guidance_scale ?? ""}
              placeholder={String(localModel?.default_guidance ?? "")}
              onChange={(e) => setRun((r) => ({ ...r, guidance_scale: e.target.value === "" ? null : Number(e.target.value) }))}
            />
          </Field>
          <Field label="First seed" name="seed" hint="blank: random">
            <Input
              type="number"
              data-testid="bulk-seed"
              min={limits?.seed.min}
              max={limits?.seed.max}
              value={run.seed ?? ""}
              placeholder="random"
              onChange={(e) => setRun((r) => ({ ...r, seed: e.target.value === "" ? null : Number(e.target.value) }))}
            />
          </Field>
          <Field label="Images per prompt" name="num_images">
            <Select data-testid="bulk-num-images" value={run.num_images} onChange={(e) => setRun((r) => ({ ...r, num_images: Number(e.target.value) }))}>
              {batchSizes(limits, run.num_images).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </Select>
          </Field>
        </div>
        {runError && (
          <p role="alert" data-testid="bulk-run-error" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
            {runError}
          </p>
        )}
        <div className="flex flex-wrap items-center justify-end gap-3">
          {problem && list.length > 0 && <span className="text-xs text-warning">{problem}</span>}
          {estimate != null && (
            <span className="text-xs text-muted-foreground" data-testid="bulk-estimate">
              about {formatUsd(estimate)}
            </span>
          )}
          <Button size="lg" data-testid="bulk-run" disabled={!!problem || start.isPending} onClick={() => start.mutate()}>
            <Sparkles className="h-4 w-4" aria-hidden />
            {start.isPending ? "Queuing…" : `Run ${list.length} prompt${list.length === 1 ? "" : "s"}`}
          </Button>
        </div>
      </Card>
    </>
  );
}

function withRunModel(r: RunParams, id: string, model: ModelInfo | undefined): RunParams {
  return { ...r, model: id, ...sizeFor(sizeRulesOf(model), r.aspect, r), steps: null, guidance_scale: null };
}

/** A running or finished batch: counts, cost, cancel, retry, export and the grid filling in. */
function BatchView({ batchId }: { batchId: string }) {
  const qc = useQueryClient();
  const { data: batch, error } = useQuery({ queryKey: bulkKeys.job(batchId), queryFn: () => bulkApi.job(batchId) });
  const live = useLive((s) => s.jobs);
  const items = useMemo(() => mergeLive(batch?.items ?? [], live), [batch, live]);
  const onDone = (v: BulkView) => {
    qc.setQueryData(bulkKeys.job(batchId), v);
    void qc.invalidateQueries({ queryKey: ["bulk", "jobs"] });
  };
  const cancel = useMutation({ mutationFn: () => bulkApi.cancel(batchId), onSuccess: onDone });
  const retry = useMutation({ mutationFn: (indexes?: number[]) => bulkApi.retry(batchId, indexes), onSuccess: onDone });
  // Bring a batch into view when it is opened or has just been started.
  const card = useRef<HTMLDivElement>(null);
  const loaded = !!batch;
  useEffect(() => {
    if (loaded) card.current?.scrollIntoView?.({ block: "start" });
  }, [batchId, loaded]);

  if (error) return <ErrorText error={error} />;
  if (!batch) return <p className="text-sm text-muted-foreground">Loading the batch…</p>;
  const active = batch.status === "queued" || batch.status === "running";
  const cost = costText(batch);
  return (
    <div ref={card} className="scroll-mt-4">
      <Card className="space-y-3 p-4" data-testid="bulk-batch" data-status={batch.status} aria-label="Batch">
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0 space-y-1">
            <div className="flex items-center gap-2">
              <h2 className="text-sm font-semibold">Batch</h2>
              <StatusBadge status={batch.status} />
              <span className="truncate font-mono text-xs text-muted-foreground">{batch.model}</span>
            </div>
            <p className="text-xs text-muted-foreground" data-testid="bulk-summary">
              {batchSummary(batch)}
              {cost && <span data-testid="bulk-cost"> · {cost}</span>}
              {" · "}
              {batch.width}×{batch.height}
              {batch.steps ? ` · ${batch.steps} steps` : ""}
            </p>
          </div>
          <div className="flex flex-wrap gap-2">
            {active && (
              <Button size="sm" variant="outline" data-testid="bulk-cancel" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
                <Ban className="h-3.5 w-3.5" aria-hidden /> Cancel the rest
              </Button>
            )}
            {batch.failed > 0 && (
              <Button size="sm" variant="outline" data-testid="bulk-retry" disabled={retry.isPending} onClick={() => retry.mutate(undefined)}>
                <RotateCcw className="h-3.5 w-3.5" aria-hidden /> Retry {batch.failed} failed
              </Button>
            )}
            {batch.completed > 0 && (
              <a
                href={bulkApi.exportUrl(batch.job_id)}
                download
                data-testid="bulk-export"
                className="inline-flex h-8 items-center gap-2 rounded-md border border-border px-3 text-xs font-medium hover:bg-muted"
              >
                <Download className="h-3.5 w-3.5" aria-hidden /> Export zip
              </a>
            )}
          </div>
        </div>
        <ProgressBar value={batch.progress} label="Batch progress" />
        <ErrorText error={cancel.error ?? retry.error} />
        <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 xl:grid-cols-4" data-testid="bulk-grid">
          {items.map((item) => (
            <BulkTile key={item.job_id} item={item} onRetry={() => retry.mutate([item.index])} />
          ))}
        </ul>
      </Card>
    </div>
  );
}

function BulkTile({ item, onRetry }: { item: BulkItem; onRetry: () => void }) {
  const preview = useLive((s) => s.previews[item.job_id]);
  const thumb = item.thumbnail_url ?? item.image_url;
  return (
    <li className="space-y-1" data-testid="bulk-item" data-status={item.status} data-index={item.index}>
      <div className="relative aspect-square overflow-hidden rounded-lg border border-border bg-muted">
        {item.status === "completed" && thumb ? (
          <Link to={item.asset_id ? `/assets/${item.asset_id}` : `/queue/${item.job_id}`} className="block h-full">
            <img src={thumb} alt={item.prompt ?? undefined} loading="lazy" className="h-full w-full object-cover" data-testid="bulk-image" />
          </Link>
        ) : item.status === "running" && preview ? (
          <img src={preview.image} alt={`Preview of prompt ${item.index + 1}`} className="h-full w-full object-cover opacity-80" />
        ) : (
          <div className="flex h-full flex-col items-center justify-center gap-2 p-3 text-center text-xs text-muted-foreground">
            {item.status === "failed" ? (
              <>
                <span role="alert" className="line-clamp-4 text-destructive" data-testid="bulk-item-error">
                  {item.error ?? "failed"}
                </span>
                <Button size="sm" variant="outline" onClick={onRetry} aria-label={`Retry prompt ${item.index + 1}`}>
                  <RotateCcw className="h-3.5 w-3.5" aria-hidden /> Retry
                </Button>
              </>
            ) : item.status === "running" ? (
              <span className="capitalize">{item.message ?? item.stage ?? "running"}</span>
            ) : (
              <span className="capitalize">{item.status}</span>
            )}
          </div>
        )}
        <span className="absolute left-1.5 top-1.5 rounded bg-black/60 px-1.5 text-[11px] tabular-nums text-white">{item.index + 1}</span>
      </div>
      {item.status === "running" && <ProgressBar value={item.progress} label={`Prompt ${item.index + 1} progress`} className="h-1" />}
      <p className="line-clamp-2 text-xs text-muted-foreground" title={item.prompt ?? undefined}>
        {item.prompt}
      </p>
    </li>
  );
}

/** Bulk sessions and the batches of the chosen one. */
function BulkSidebar({
  sessionId,
  batchId,
  onSelect,
}: {
  sessionId: string | null;
  batchId: string | null;
  onSelect: (next: { session?: string | null; batch?: string | null }) => void;
}) {
  const qc = useQueryClient();
  const { data: sessions = [] } = useQuery({ queryKey: bulkKeys.sessions, queryFn: bulkApi.sessions });
  const { data: batches } = useQuery({ queryKey: bulkKeys.jobs(sessionId), queryFn: () => bulkApi.jobs(sessionId), enabled: !!sessionId });
  const create = useMutation({
    mutationFn: () => bulkApi.createSession("New bulk session"),
    onSuccess: (s) => {
      void qc.invalidateQueries({ queryKey: bulkKeys.sessions });
      onSelect({ session: s.id, batch: null });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => bulkApi.deleteSession(id),
    onSuccess: (_r, id) => {
      void qc.invalidateQueries({ queryKey: bulkKeys.sessions });
      if (id === sessionId) onSelect({ session: null, batch: null });
    },
  });
  return (
    <aside aria-label="Bulk sessions" className="flex w-full flex-col gap-2 lg:w-60 lg:shrink-0">
      <div className="flex items-center justify-between">
        <h2 className="text-sm font-semibold">Bulk sessions</h2>
        <Button size="sm" variant="outline" onClick={() => create.mutate()} aria-label="New bulk session">
          <Plus className="h-3.5 w-3.5" /> New
        </Button>
      </div>
      <ul className="flex max-h-[40vh] flex-col gap-1 overflow-auto" data-testid="bulk-session-list">
        {sessions.length === 0 && <li className="text-xs text-muted-foreground">Your first batch starts a session.</li>}
        {sessions.map((s) => (
          <li key={s.id} className={cn("group flex items-center rounded-md", s.id === sessionId ? "bg-accent" : "hover:bg-muted")}>
            <button type="button" className="min-w-0 flex-1 px-2 py-1.5 text-left" onClick={() => onSelect({ session: s.id, batch: null })} aria-current={s.id === sessionId}>
              <div className="truncate text-sm">{s.name}</div>
              <div className="text-[11px] text-muted-foreground">
                {plural(s.asset_count, "image")} · {relativeTime(s.updated_at)}
              </div>
            </button>
            <Button
              size="icon"
              variant="ghost"
              className="h-7 w-7 opacity-0 group-hover:opacity-100 focus:opacity-100"
              aria-label={`Delete session ${s.name}`}
              onClick={() => confirm(`Delete the session “${s.name}”? Its images stay in the gallery.`) && remove.mutate(s.id)}
            >
              <Trash2 className="h-3.5 w-3.5" />
            </Button>
          </li>
        ))}
      </ul>
      {sessionId && (
        <>
          <h3 className="pt-2 text-xs font-semibold text-muted-foreground">Batches</h3>
          <ul className="flex flex-col gap-1" data-testid="bulk-batch-list">
            {batches?.items.length === 0 && <li className="text-xs text-muted-foreground">No batch in this session yet.</li>}
            {batches?.items.map((b) => (
              <li key={b.job_id}>
                <button
                  type="button"
                  onClick={() => onSelect({ batch: b.job_id })}
                  aria-current={b.job_id === batchId}
                  className={cn("w-full rounded-md px-2 py-1.5 text-left", b.job_id === batchId ? "bg-accent" : "hover:bg-muted")}
                >
                  <div className="flex items-center justify-between gap-1">
                    <span className="truncate text-xs">{b.base_prompt || b.model}</span>
                    <Badge tone={b.status === "failed" ? "destructive" : b.status === "completed" ? "success" : "default"}>
                      {b.completed}/{b.total}
                    </Badge>
                  </div>
                  <div className="text-[11px] text-muted-foreground">{relativeTime(b.created_at)}</div>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {batchId && !sessionId && (
        <Button size="sm" variant="ghost" onClick={() => onSelect({ batch: null })}>
          <Play className="h-3.5 w-3.5" /> Close the batch
        </Button>
      )}
    </aside>
  );
}
