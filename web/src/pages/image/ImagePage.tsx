import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Dices, Sparkles } from "lucide-react";
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router-dom";
import { ApiError, fieldErrors } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { Asset, CanGenerate } from "@/api/types";
import { useLiveStatus } from "@/live/LiveProvider";
import { aspectQuery, sizeRulesOf, snapTo } from "@/lib/aspect";
import { styleChoices } from "@/lib/styles";
import { batchSizes, randomSeed, useRequestLimits, validateImageForm, type FormErrors } from "@/lib/validation";
import { insertWord } from "@/lib/prompt";
import { formatGb, titleFromPrompt } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select, Textarea } from "@/components/ui/input";
import { Card, ErrorAlert } from "@/components/ui/misc";
import { Slider } from "@/components/ui/slider";
import { AspectSelector } from "./AspectSelector";
import { FitWarning, ModelSelect, RemoteModelBadge, modelHint, planText } from "./ModelSelect";
import { isRemoteModel, REMOTE_IMAGE_CATEGORIES, takesField } from "@/pages/providers/api";
import { useRemoteModels } from "@/pages/providers/hooks";
import { LoraPicker } from "./LoraPicker";
import { ControlSection } from "./ControlSection";
import { ReferenceImages, fileToRefImage, type RefImage } from "./ReferenceImages";
import { SessionResults } from "./SessionResults";
import { SessionSidebar } from "./SessionSidebar";
import { afterSubmit, defaultsOf, freshForm, fromParams, loadForm, tookDefaults, withDefaults, referenceLimit, referencesFromParams, saveForm, takesStrength, toRequest, withAspect, withModel, type ImageFormState } from "./formState";
import { SchedulerSelect, offersScheduler } from "./SchedulerSelect";
import { DropOverlay, MetadataDropNote, dropProblem, usePageFileDrop, type DropNote } from "./MetadataDrop";
import { fromMetadata, sourceName } from "./metadataForm";
import { CanvasPanel, fileToSource, type CanvasState } from "./canvas/CanvasPanel";
import { canvasRequest, chooseMode, DEFAULT_OPTIONS, extendedSize, NO_MARGINS, type CanvasSource } from "./canvas/canvasLogic";
import type { MaskHandle } from "./canvas/PaintSurface";

const EMPTY_CANVAS: CanvasState = { source: null, margins: NO_MARGINS, options: DEFAULT_OPTIONS, painted: false };
const CANVAS_MODES = ["inpaint", "outpaint"];

/** An asset as the canvas's source. */
const assetSource = (a: Asset): CanvasSource => ({ ref: { assetId: a.id }, url: a.url, width: a.width ?? 0, height: a.height ?? 0, name: a.prompt ? `Result: ${a.prompt}` : "Result" });

const SESSION_KEY = "hollywool.imageSession";

export function ImagePage() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const [params, setParams] = useSearchParams();
  const sessionId = params.get("session");

  const { data: prefs, isFetched: prefsFetched } = useQuery({ queryKey: qk.settings, queryFn: fetchers.settings });
  const { data: models, isLoading: modelsLoading } = useQuery({ queryKey: qk.models, queryFn: fetchers.models });
  const { data: backendStyles } = useQuery({ queryKey: qk.styles, queryFn: fetchers.styles, staleTime: Infinity });
  // Remote text-to-image and image-to-image models (enabled providers) come after the local ones, grouped by provider.
  const { data: remoteModels, isFetched: remoteFetched } = useRemoteModels("image");
  const imageModels = useMemo(
    () => [
      ...(models ?? []).filter((m) => m.category !== "video" && !m.is_video),
      ...(remoteModels ?? []).filter((m) => REMOTE_IMAGE_CATEGORIES.includes(m.category)),
    ],
    [models, remoteModels],
  );
  const styles = styleChoices(backendStyles ?? undefined);
  const { data: aspects } = useQuery(aspectQuery);
  const limits = useRequestLimits();
  const { data: schedulers } = useQuery({ queryKey: qk.schedulers, queryFn: fetchers.schedulers, staleTime: Infinity });

  const [form, setForm] = useState<ImageFormState>(() => loadForm());
  const [refs, setRefs] = useState<RefImage[]>([]);
  // The LoRAs and references panel opens when a reuse or a dropped image fills it.
  const [extrasOpen, setExtrasOpen] = useState(false);
  // The canvas: a source to inpaint (painted mask) or outpaint (dragged edges); the mask itself lives in its <canvas>.
  const [canvas, setCanvasState] = useState<CanvasState>(EMPTY_CANVAS);
  const setCanvas = useCallback((update: (s: CanvasState) => CanvasState) => setCanvasState(update), []);
  const [canvasOpen, setCanvasOpen] = useState(false);
  const maskRef = useRef<MaskHandle | null>(null);
  const [dropNote, setDropNote] = useState<DropNote | null>(null);
  const [pendingSettings, setPendingSettings] = useState<Record<string, unknown> | null>(null);
  const { data: loras } = useQuery({ queryKey: qk.loras(), queryFn: () => fetchers.loras() });
  const [errors, setErrors] = useState<FormErrors>({});
  const [topError, setTopError] = useState<string | null>(null);
  const [topErrorOffline, setTopErrorOffline] = useState(false);
  const { backendAway } = useLiveStatus();
  // "The server cannot be reached" ends when it is back: the error goes with it.
  useEffect(() => {
    if (!backendAway && topErrorOffline) {
      setTopError(null);
      setTopErrorOffline(false);
    }
  }, [backendAway, topErrorOffline]);
  const [fitConfirm, setFitConfirm] = useState<CanGenerate | null>(null);
  const model = imageModels.find((m) => m.id === form.model);
  const remote = isRemoteModel(model);
  const remoteModel = remote ? model : null;
  const localModel = model && !isRemoteModel(model) ? model : undefined;
  // The model's rules as /api/models gives them: size multiple and bounds, negative prompt support.
  const sizeRules = sizeRulesOf(model);
  const negativeUnsupported = localModel ? localModel.supports_negative_prompt === false : !!remoteModel?.params?.length && !takesField(remoteModel, "negative_prompt");
  // A remote model takes as many reference images as its input schema has room for (0: none). Until
  // the API's limits load, local models are not capped here (the server checks the request).
  const refLimit = limits?.reference_images ?? Infinity;
  const maxRefs = referenceLimit(model, refLimit);
  const usedRefs = refs.slice(0, maxRefs);
  const canvasModes = localModel?.modes;
  const canvasMode = canvas.source ? chooseMode(canvas.painted, canvas.margins) : null;
  // Generate makes a canvas job when the canvas has a mode the model can do.
  const canvasJob = canvasMode && canvasModes?.includes(canvasMode) ? canvasMode : null;
  const showCanvas = !!canvas.source || !!canvasModes?.some((m) => CANVAS_MODES.includes(m));
  const sendToCanvas = useCallback((a: Asset) => {
    setCanvasState((s) => ({ ...s, source: assetSource(a), margins: NO_MARGINS, painted: false }));
    setCanvasOpen(true);
    requestAnimationFrame(() => document.querySelector('[data-testid="canvas-panel"]')?.scrollIntoView({ behavior: "smooth", block: "start" }));
  }, []);
  const selectModel = (id: string) => {
    const next = imageModels.find((m) => m.id === id);
    setForm((f) => ({ ...withModel(f, next, defaultsOf(prefs)), scheduler: offersScheduler(schedulers, next, f.scheduler) ? f.scheduler : null }));
    const limit = referenceLimit(next, refLimit);
    setRefs((r) => (r.length > limit ? r.slice(0, limit) : r));
  };

  useEffect(() => saveForm(form), [form]);

  // Restore the last session when the URL names none.
  useEffect(() => {
    if (!sessionId) {
      const last = localStorage.getItem(SESSION_KEY);
      if (last) setParams({ session: last }, { replace: true });
    } else localStorage.setItem(SESSION_KEY, sessionId);
  }, [sessionId, setParams]);

  // The Settings' defaults (model, size, steps, guidance): all of them on a new form, then those changed in
  // Settings since; a model that left the catalogue is replaced by the default one.
  useEffect(() => {
    if (!models || imageModels.length === 0 || !remoteFetched || !prefsFetched) return;
    const d = defaultsOf(prefs);
    if (!tookDefaults(form, d) || !imageModels.some((m) => m.id === form.model)) setForm((f) => withDefaults(f, d, imageModels));
  }, [models, imageModels, remoteFetched, prefs, prefsFetched, form]);

  // "Use these settings" from the gallery arrives as router state.
  useEffect(() => {
    const st = location.state as { useSettings?: Record<string, unknown>; useModel?: string; referenceAsset?: Asset; canvasAsset?: Asset } | null;
    if (st?.canvasAsset) sendToCanvas(st.canvasAsset);
    if (st?.useSettings) setPendingSettings(st.useSettings);
    // "Generate with this model" changes the model only; the rest of the form stays.
    if (st?.useModel) setPendingSettings({ useModel: st.useModel });
    if (st?.referenceAsset) {
      const a = st.referenceAsset;
      setRefs((r) => (r.length < refLimit && !r.some((x) => "assetId" in x && x.assetId === a.id) ? [...r, { key: a.id, assetId: a.id, preview: a.thumbnail_url ?? a.url }] : r));
      setExtrasOpen(true);
    }
    // Clear the state, staying in the current session: the gallery links to "/" without one, and a bare
    // URL here would detach the session (the next job would then make a new one of the same name).
    if (st) {
      const sid = sessionId ?? localStorage.getItem(SESSION_KEY);
      navigate({ pathname: location.pathname, search: sid ? `?session=${encodeURIComponent(sid)}` : "" }, { replace: true, state: null });
    }
  }, [location.state, location.pathname, sessionId, navigate, refLimit, sendToCanvas]);

  // Applied once /api/aspect-ratios has answered: the size's preset is found from it.
  useEffect(() => {
    // After the Settings' defaults: they must not overwrite what is restored.
    if (!pendingSettings || !aspects || !form.defaults) return;
    const p = pendingSettings;
    if (typeof p.useModel === "string") {
      if (!models) return;
      const next = imageModels.find((m) => m.id === p.useModel);
      if (next) setForm((f) => withModel(f, next, defaultsOf(prefs)));
      setPendingSettings(null);
      return;
    }
    setForm((f) => fromParams(f, p, aspects));
    const restoredRefs = referencesFromParams(p);
    setRefs(restoredRefs);
    if (restoredRefs.length || (Array.isArray(p.loras) && p.loras.length)) setExtrasOpen(true);
    setErrors({});
    setPendingSettings(null);
  }, [pendingSettings, aspects, models, imageModels, form.defaults, prefs]);

  // A PNG/WebP dropped anywhere on the page: its generation settings into the form.
  const draggingFile = usePageFileDrop((file) => {
    const problem = dropProblem(file);
    if (problem) return setDropNote({ kind: "problem", file: file.name, message: problem });
    fetchers.readImageMetadata(file).then(
      ({ params: p }) => {
        const r = fromMetadata(form, p, {
          models: imageModels,
          schedulers: schedulers ?? [],
          styles,
          loras: (loras ?? []).map((l) => l.id),
          presets: aspects ?? [],
        });
        setForm(r.form);
        setErrors({});
        if (r.form.loras.length) setExtrasOpen(true);
        setDropNote({ kind: "read", file: file.name, source: sourceName(p.source), restored: r.restored, unmapped: r.unmapped });
      },
      (err: unknown) => setDropNote({ kind: "problem", file: file.name, message: `${file.name} could not be read: ${err instanceof Error ? err.message : String(err)}` }),
    );
  });

  // A file dropped on the overlay's "use as a reference" target.
  const addReferenceFile = (file: File) => {
    void fileToRefImage(file, limits).then((ref) => {
      if (typeof ref === "string") return setDropNote({ kind: "problem", file: file.name, message: ref });
      setRefs((r) => (r.length < maxRefs ? [...r, ref] : r));
      setExtrasOpen(true);
      if (usedRefs.length >= maxRefs)
        setDropNote({ kind: "problem", file: file.name, message: `This model takes at most ${maxRefs} reference image${maxRefs === 1 ? "" : "s"}: remove one to add ${file.name}.` });
    });
  };

  // A file dropped on the overlay's "paint on it" target: the canvas's new source.
  const addCanvasFile = (file: File) => {
    void fileToSource(file, limits).then((source) => {
      if (typeof source === "string") return setDropNote({ kind: "problem", file: file.name, message: source });
      setCanvasState((s) => ({ ...s, source, margins: NO_MARGINS, painted: false }));
      setCanvasOpen(true);
      requestAnimationFrame(() => document.querySelector('[data-testid="canvas-panel"]')?.scrollIntoView({ behavior: "smooth", block: "start" }));
    });
  };

  const { data: fit } = useQuery({
    queryKey: qk.canGenerate(form.model),
    queryFn: () => fetchers.canGenerate(form.model),
    enabled: !!form.model && !!model && !remote,
    staleTime: 15_000,
  });

  const set = <K extends keyof ImageFormState>(key: K, value: ImageFormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
  };

  const submit = useMutation({
    mutationFn: async () => {
      let sid = sessionId;
      const title = titleFromPrompt(form.prompt);
      if (!sid) {
        const s = await fetchers.createSession(title);
        sid = s.id;
        setParams({ session: sid }, { replace: true });
      } else {
        // Auto-name a session from its first prompt.
        const s = (await qc.fetchQuery({ queryKey: qk.sessions, queryFn: fetchers.sessions })).find((x) => x.id === sid);
        if (s && s.name === "New session" && s.job_count === 0) await fetchers.renameSession(sid, title);
      }
      const body = toRequest(form, {
        sessionId: sid,
        references: usedRefs,
        styles,
        // No limits yet: no seed, and the server picks one.
        seed: form.seedMode === "random" && limits ? randomSeed(limits) : undefined,
        // A remote model takes no LoRAs and at most its own number of reference images.
        remote: remoteModel,
      });
      const fromCanvas = canvasRequest(canvas.source, canvasJob, canvas.margins, canvas.options, canvasJob === "inpaint" ? (maskRef.current?.exportPng() ?? null) : null);
      return fetchers.submitImage(fromCanvas ? { ...body, ...fromCanvas } : body);
    },
    onSuccess: (res) => {
      setTopError(null);
      setForm(afterSubmit);
      // Stacked (narrow screens): bring the stage, where the preview appears, into view.
      if (!window.matchMedia("(min-width: 80rem)").matches) {
        document.querySelector('[data-testid="result-stage"]')?.scrollIntoView({ behavior: "smooth", block: "start" });
      }
      void qc.invalidateQueries({ queryKey: qk.sessions });
      void qc.invalidateQueries({ queryKey: ["jobs"] });
      void qc.prefetchQuery({ queryKey: qk.job(res.job_id), queryFn: () => fetchers.job(res.job_id) });
    },
    onError: (err) => {
      const fe = fieldErrors(err);
      if (Object.keys(fe).length) {
        showErrors(fe);
        // A field the form does not show (or a nested one) still gets said at the top.
        const shown = ["scheduler", "prompt", "negative_prompt", "model", "width", "height", "steps", "guidance_scale", "seed", "num_images", "loras", "reference_images", "strength", "session_id"];
        if (!Object.keys(fe).some((k) => shown.includes(k))) setTopError((err as ApiError).detail);
        else setTopError(null);
      } else setTopError(err instanceof Error ? err.message : String(err));
      setTopErrorOffline(err instanceof ApiError && err.offline);
    },
  });

  // Errors of the LoRAs and references panel open it: an error hidden in a closed panel says nothing.
  function showErrors(e: FormErrors) {
    setErrors(e);
    if (Object.entries(e).some(([k, v]) => v && (k === "reference_images" || k === "strength" || k.startsWith("loras")))) {
      setExtrasOpen(true);
      requestAnimationFrame(() => document.querySelector('[data-testid="extras"]')?.scrollIntoView({ block: "nearest" }));
    }
  }

  function generate(force = false) {
    const e = validateImageForm(
      {
        ...form,
        loras: remote ? [] : form.loras,
        sizeRules,
        referenceCount: canvasJob ? 1 : usedRefs.length, // a canvas job's source is its reference image
        requiresReference: !!localModel?.requires_reference_image,
      },
      limits,
    );
    showErrors(e);
    if (Object.values(e).some(Boolean)) return;
    if (canvasMode && !canvasJob) {
      setTopError(`${model?.name ?? "This model"} cannot ${canvasMode}: pick a model that can, or clear the canvas.`);
      setCanvasOpen(true);
      return;
    }
    if (!force && fit && !fit.can_generate) {
      setFitConfirm(fit);
      return;
    }
    setFitConfirm(null);
    submit.mutate();
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      generate();
    }
  };


  return (
    <div className="flex flex-col gap-4 lg:flex-row">
      {draggingFile && <DropOverlay onReference={addReferenceFile} canReference={maxRefs > 0} onCanvas={showCanvas ? addCanvasFile : undefined} />}
      <SessionSidebar
        current={sessionId}
        onSelect={(id) => (id ? setParams({ session: id }) : (localStorage.removeItem(SESSION_KEY), setParams({})))}
        onNew={() => {
          setForm((f) => freshForm(f, defaultsOf(prefs), imageModels));
          setRefs([]);
          setCanvasState(EMPTY_CANVAS);
          setErrors({});
        }}
      />
      <div className="grid min-w-0 flex-1 gap-4 xl:grid-cols-[minmax(400px,520px)_minmax(0,1fr)] xl:items-start">
        <form
          className="@container min-w-0"
          aria-label="Generate an image"
          noValidate
          onKeyDown={onKeyDown}
          onSubmit={(e) => {
            e.preventDefault();
            generate();
          }}
        >
          <Card className="space-y-4 p-4">
            {dropNote && <MetadataDropNote note={dropNote} onDismiss={() => setDropNote(null)} />}
            <Field label="Prompt" error={errors.prompt} name="prompt" hint="Ctrl+Enter to generate">
              <Textarea
                data-testid="prompt"
                value={form.prompt}
                maxLength={limits?.prompt_max_length}
                placeholder="A lighthouse on a cliff at dusk, oil painting"
                onChange={(e) => set("prompt", e.target.value)}
                rows={3}
              />
            </Field>
            <Field
              label="Negative prompt"
              error={errors.negative_prompt}
              name="negative_prompt"
              hint={negativeUnsupported ? "This model family has no negative prompt; it will be ignored." : undefined}
            >
              <Textarea
                data-testid="negative-prompt"
                value={form.negative_prompt}
                maxLength={limits?.prompt_max_length}
                placeholder="blurry, low quality"
                onChange={(e) => set("negative_prompt", e.target.value)}
                rows={2}
                className="min-h-12"
              />
            </Field>

            <div className="grid gap-4 @md:grid-cols-2">
              <div className="space-y-2">
                {models === null ? (
                  <Field label="Model" error={errors.model} name="model" hint="The model catalogue is not available on this server yet: type a model id.">
                    <Input data-testid="model-input" value={form.model} onChange={(e) => set("model", e.target.value)} />
                  </Field>
                ) : (
                  <Field
                    label="Model"
                    error={errors.model}
                    name="model"
                    hint={model ? modelHint(model) || model.description : modelsLoading ? "Loading the catalogue…" : undefined}
                  >
                    <ModelSelect models={imageModels} value={form.model} onChange={selectModel} />
                  </Field>
                )}
                <RemoteModelBadge model={model} />
                {!remote && <FitWarning fit={fit} />}
                {localModel && !localModel.downloaded && localModel.source === "hub" && (
                  <p className="text-xs text-muted-foreground">
                    Not downloaded yet: the first job downloads it ({formatGb(localModel.size_gb)}), or{" "}
                    <Link className="text-primary underline" to={`/models/${localModel.id}`}>
                      download it now
                    </Link>
                    .
                  </p>
                )}
              </div>
              {!remote && (
                <Field label="Sampler" name="scheduler" error={errors.scheduler}>
                  <SchedulerSelect schedulers={schedulers ?? []} modelType={localModel?.type} value={form.scheduler} onChange={(v) => set("scheduler", v)} />
                </Field>
              )}
              <Field label="Style" name="style">
                <Select data-testid="style-select" value={form.style} onChange={(e) => set("style", e.target.value)}>
                  {styles.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
                </Select>
              </Field>
            </div>

            <div className="space-y-2">
              <span className="text-xs font-medium text-muted-foreground">Aspect ratio</span>
              <AspectSelector value={form.aspect} onChange={(a) => setForm((f) => withAspect(f, a, model))} />
              <div className="grid grid-cols-2 gap-3">
                {(["width", "height"] as const).map((k) => (
                  <Field key={k} label={k === "width" ? "Width" : "Height"} error={errors[k]} name={k} hint={sizeRules ? `multiple of ${sizeRules.multiple}` : undefined}>
                    <Input
                      type="number"
                      data-testid={k}
                      min={sizeRules?.min}
                      max={sizeRules?.max}
                      step={sizeRules?.multiple}
                      value={form[k]}
                      onChange={(e) => setForm((f) => ({ ...f, [k]: Number(e.target.value), aspect: null }))}
                      onBlur={() => sizeRules && setForm((f) => ({ ...f, [k]: snapTo(f[k], sizeRules) }))}
                    />
                  </Field>
                ))}
              </div>
            </div>

            <div className="grid gap-4 @sm:grid-cols-2 @3xl:grid-cols-4">
              <Field label="Steps" error={errors.steps} name="steps">
                <Input
                  type="number"
                  data-testid="steps"
                  min={limits?.steps.min}
                  max={limits?.steps.max}
                  value={form.steps ?? ""}
                  placeholder={String(localModel?.default_steps ?? "")}
                  onChange={(e) => set("steps", e.target.value === "" ? null : Number(e.target.value))}
                />
              </Field>
              <Field label="Guidance" error={errors.guidance_scale} name="guidance_scale">
                <Input
                  type="number"
                  data-testid="guidance"
                  step={0.5}
                  min={limits?.guidance_scale.min}
                  max={limits?.guidance_scale.max}
                  value={form.guidance_scale ?? ""}
                  placeholder={String(localModel?.default_guidance ?? "")}
                  onChange={(e) => set("guidance_scale", e.target.value === "" ? null : Number(e.target.value))}
                />
              </Field>
              <div className="space-y-1" data-field="seed">
                <div className="flex items-center justify-between">
                  <label htmlFor="seed" className="text-xs font-medium text-muted-foreground">
                    Seed
                  </label>
                  <div role="radiogroup" aria-label="Seed mode" className="flex gap-2 text-xs">
                    {(["random", "fixed"] as const).map((mode) => (
                      <label key={mode} className="flex items-center gap-1">
                        <input
                          type="radio"
                          name="seedMode"
                          checked={form.seedMode === mode}
                          onChange={() =>
                            setForm((f) => ({ ...f, seedMode: mode, seedOnce: false, seed: mode === "fixed" ? (f.seed ?? (limits ? randomSeed(limits) : null)) : f.seed }))
                          }
                        />
                        {mode}
                      </label>
                    ))}
                  </div>
                </div>
                <div className="flex gap-1">
                  <Input
                    id="seed"
                    type="number"
                    data-testid="seed"
                    disabled={form.seedMode === "random"}
                    min={limits?.seed.min}
                    max={limits?.seed.max}
                    value={form.seedMode === "random" ? "" : (form.seed ?? "")}
                    placeholder="random"
                    aria-invalid={errors.seed ? true : undefined}
                    aria-describedby={errors.seed ? "seed-error" : undefined}
                    onChange={(e) => setForm((f) => ({ ...f, seedOnce: false, seed: e.target.value === "" ? null : Number(e.target.value) }))}
                  />
                  <Button
                    size="icon"
                    variant="outline"
                    aria-label="New random seed"
                    disabled={!limits}
                    onClick={() => limits && setForm((f) => ({ ...f, seedMode: "fixed", seedOnce: false, seed: randomSeed(limits) }))}
                  >
                    <Dices className="h-4 w-4" />
                  </Button>
                </div>
                {errors.seed && (
                  <p id="seed-error" role="alert" className="text-xs text-destructive">
                    {errors.seed}
                  </p>
                )}
              </div>
              <div className="space-y-1">
                <span id="batch-label" className="text-xs font-medium text-muted-foreground">
                  Images
                </span>
                <div role="radiogroup" aria-labelledby="batch-label" className="flex rounded-md bg-muted p-0.5" data-testid="batch">
                  {batchSizes(limits, form.num_images).map((n) => (
                    <button
                      key={n}
                      type="button"
                      role="radio"
                      aria-checked={form.num_images === n}
                      onClick={() => set("num_images", n)}
                      className={`flex-1 rounded py-1 text-sm ${form.num_images === n ? "bg-card font-medium text-primary shadow-sm" : "text-muted-foreground"}`}
                    >
                      {n}
                    </button>
                  ))}
                </div>
                {errors.num_images && (
                  <p role="alert" className="text-xs text-destructive">
                    {errors.num_images}
                  </p>
                )}
              </div>
            </div>

            <details className="rounded-md border border-border p-3" open={extrasOpen} onToggle={(e) => setExtrasOpen(e.currentTarget.open)} data-testid="extras">
              <summary className="cursor-pointer text-sm font-medium">
                LoRAs and reference images
                {(form.loras.length > 0 || usedRefs.length > 0) && (
                  <span className="font-normal text-muted-foreground" data-testid="extras-in-use">
                    {" "}
                    ({[form.loras.length && `${form.loras.length} LoRA${form.loras.length > 1 ? "s" : ""}`, usedRefs.length && `${usedRefs.length} reference${usedRefs.length > 1 ? "s" : ""}`].filter(Boolean).join(", ")} in use)
                  </span>
                )}
                {canvasJob && usedRefs.length > 0 && (
                  <span className="font-normal text-muted-foreground" data-testid="extras-canvas-note">
                    {" "}
                    · the canvas's source is used instead of the references
                  </span>
                )}
                {remote && (
                  <span className="font-normal text-muted-foreground">
                    {" "}
                    (LoRAs: local models only; {maxRefs ? `up to ${maxRefs} reference image${maxRefs > 1 ? "s" : ""}` : "no reference images"})
                  </span>
                )}
              </summary>
              <div className="mt-3 grid gap-4 @md:grid-cols-2">
                <div className="space-y-1">
                  <span className="text-xs font-medium text-muted-foreground">LoRAs</span>
                  <LoraPicker
                    modelType={model?.type}
                    value={form.loras}
                    onChange={(l) => set("loras", l)}
                    errors={errors}
                    prompt={form.prompt}
                    onInsertWord={(word) => {
                      setForm((f) => ({ ...f, prompt: insertWord(f.prompt, word) }));
                      setErrors((e) => ({ ...e, prompt: undefined }));
                    }}
                  />
                </div>
                <div className="space-y-2">
                  <span className="text-xs font-medium text-muted-foreground">
                    {localModel?.requires_reference_image
                      ? `Images to edit (${maxRefs > 1 ? `1 to ${maxRefs}` : "one"}, required)`
                      : "Reference images (image-to-image)"}
                  </span>
                  {maxRefs > 0 ? (
                    <ReferenceImages value={usedRefs} onChange={setRefs} error={errors.reference_images} max={maxRefs} />
                  ) : (
                    <p className="text-xs text-muted-foreground" data-testid="no-reference-images">
                      {model?.name ?? "This model"} takes no input image: pick an image-to-image model to use reference images.
                    </p>
                  )}
                  {usedRefs.length > 0 && takesStrength(remoteModel) && (
                    <div>
                      <div className="flex justify-between text-xs text-muted-foreground">
                        <span>Strength</span>
                        <span className="tabular-nums">{form.strength.toFixed(2)}</span>
                      </div>
                      {limits && (
                        <Slider label="Reference strength" value={form.strength} min={limits.strength.min} max={limits.strength.max} step={0.05} onChange={(v) => set("strength", v)} />
                      )}
                      {errors.strength && (
                        <p role="alert" className="text-xs text-destructive">
                          {errors.strength}
                        </p>
                      )}
                    </div>
                  )}
                </div>
              </div>
            </details>
            <ControlSection value={form.control} onChange={(c) => set("control", c)} modelType={localModel?.type} />

            {showCanvas && (
              <details className="@container rounded-md border border-border p-3" open={canvasOpen} onToggle={(e) => setCanvasOpen(e.currentTarget.open)} data-testid="canvas-panel">
                <summary className="cursor-pointer text-sm font-medium">
                  Canvas: inpaint and outpaint
                  {canvasMode && (
                    <span className="font-normal text-muted-foreground" data-testid="canvas-in-use">
                      {" "}
                      ({canvasMode})
                    </span>
                  )}
                </summary>
                <div className="mt-3">
                  {/* A control image panel mounts in the canvas's `control` slot. */}
                  <CanvasPanel value={canvas} onChange={setCanvas} mask={maskRef} modes={canvasModes} modelName={model?.name} />
                </div>
              </details>
            )}

            {topError && (
              <ErrorAlert testId="submit-error" onDismiss={() => setTopError(null)}>
                {topError}
              </ErrorAlert>
            )}
            <div className="flex items-center justify-end gap-3">
              <span className="text-xs text-muted-foreground" data-testid="generate-size">
                {canvasJob && canvas.source ? `${canvasJob} · ${Object.values(extendedSize(canvas.source, canvasJob === "outpaint" ? canvas.margins : NO_MARGINS)).join("×")}` : `${form.width}×${form.height}`}
                {form.steps ? ` · ${form.steps} steps` : ""}
              </span>
              <Button type="submit" size="lg" data-testid="generate" disabled={submit.isPending}>
                <Sparkles className="h-4 w-4" />
                {submit.isPending ? "Submitting…" : "Generate"}
              </Button>
            </div>
          </Card>
        </form>
        {/* On wide screens the results column keeps to the height of the window and stays put while the form
            scrolls: the stage takes what the notices and the thumbnail strip leave. */}
        <div className="min-w-0 xl:sticky xl:top-0 xl:flex xl:h-[calc(100vh-6.5rem)] xl:flex-col">
          <SessionResults sessionId={sessionId} onSendToCanvas={sendToCanvas} />
        </div>
      </div>
      <Dialog
        open={!!fitConfirm}
        onOpenChange={(o) => !o && setFitConfirm(null)}
        title="This model may not fit in memory"
        description={
          <>
            {fitConfirm?.reason || "The studio estimates there is not enough free memory for this model."}
            {fitConfirm?.required_gb ? ` It needs about ${formatGb(fitConfirm.required_gb)}` : ""}
            {fitConfirm?.available_gb != null ? `; ${formatGb(fitConfirm.available_gb)} is free.` : ""} It may run slowly
            with offloading, or fail.
            {planText(fitConfirm?.plan) ? ` ${planText(fitConfirm?.plan)}` : ""}
          </>
        }
      >
        <div className="flex justify-end gap-2">
          <Button variant="outline" onClick={() => setFitConfirm(null)}>
            Cancel
          </Button>
          <Button data-testid="generate-anyway" onClick={() => generate(true)}>
            Generate anyway
          </Button>
        </div>
      </Dialog>
    </div>
  );
}

