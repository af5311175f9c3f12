import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Film, Wand2 } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";
import { fieldErrors } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { Job } from "@/api/types";
import { JobProgress } from "@/components/JobProgress";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, Select, Textarea } from "@/components/ui/input";
import { Card, Empty, ErrorText, PageHeader } from "@/components/ui/misc";
import { Tabs } from "@/components/ui/tabs";
import { RemoteModelBadge } from "@/pages/image/ModelSelect";
import { ReferenceImages } from "@/pages/image/ReferenceImages";
import { formatPrice, takesField, type RemoteModelInfo } from "@/pages/providers/api";
import { useRemoteModels } from "@/pages/providers/hooks";
import { ProviderParamFields } from "@/pages/providers/ProviderParamFields";
import {
  defaultDuration,
  durationChoices,
  providerParamSpecs,
  remoteImageCapacity,
  remoteVideoRequest,
  snapFrames,
  videoApi,
  videoKeys,
  videoOptionLabel,
  type VideoJobRequest,
  type VideoKind,
  type VideoModel,
} from "./api";
import { toReferenceImage } from "@/pages/image/formState";
import {
  afterVideoSubmit,
  emptyVideoForm,
  framesProblem,
  localVideoRequest,
  pickVideoModel,
  sourceFromParams,
  videoFormFromParams,
  withVideoModel,
  type SourceImage,
  type VideoFormState,
} from "./formState";

const REMOTE_JOBS = { kind: "remote", limit: 50 };
const REMOTE_CATEGORY: Record<VideoKind, string> = { video: "text-to-video", i2v: "image-to-video" };

/**
 * Text-to-video and image-to-video: a form per model's rules, live progress, and a player for results.
 * Each tab also offers the enabled providers' remote models of its kind (text-to-video,
 * image-to-video); a remote image-to-video model gets its input images as `reference_images`.
 */
export function VideoPage() {
  const qc = useQueryClient();
  const location = useLocation();
  const navigate = useNavigate();
  const [kind, setKind] = useState<VideoKind>("video");
  const { data: models = [], error: modelsError } = useQuery({ queryKey: videoKeys.models, queryFn: videoApi.models });
  const { data: remoteVideo, isFetched: remoteFetched } = useRemoteModels("video");
  const usable = useMemo(() => models.filter((m) => (kind === "video" ? m.text_to_video : m.image_to_video)), [models, kind]);
  const remoteUsable = useMemo(
    () => (remoteVideo ?? []).filter((m) => m.category === REMOTE_CATEGORY[kind]),
    [remoteVideo, kind],
  );
  const [modelId, setModelId] = useState("");
  const { data: prefs } = useQuery({ queryKey: qk.settings, queryFn: fetchers.settings });
  // The model chosen on this page, else Settings' default video model.
  const wanted = modelId || prefs?.default_video_model || "";
  const remote: RemoteModelInfo | undefined = remoteUsable.find((m) => m.id === wanted);
  // Which local models run without a download (the catalogue knows; the video list does not say).
  const { data: catalogue } = useQuery({ queryKey: qk.models, queryFn: fetchers.models });
  const ready = useMemo(() => new Set((catalogue ?? []).filter((m) => m.downloaded).map((m) => m.id)), [catalogue]);
  const [current, legacy] = useMemo(() => [usable.filter((m) => !m.legacy), usable.filter((m) => m.legacy)], [usable]);
  const model: VideoModel | undefined = remote ? undefined : pickVideoModel(usable, wanted, ready);
  const chosenRemote = remote ?? (model ? undefined : remoteUsable[0]); // no local model: the first remote one
  const [form, setForm] = useState<VideoFormState>(emptyVideoForm);
  const set = <K extends keyof VideoFormState>(key: K, value: VideoFormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const { prompt, negative, width, height, frames, fps, steps, guidance, seed } = form;
  const [sources, setSources] = useState<SourceImage[]>([]);
  const [duration, setDuration] = useState(5);
  const [providerParams, setProviderParams] = useState<Record<string, unknown>>({});
  // "Use these settings" (a result here, or a video asset) waits for its model to be the chosen one.
  const [restore, setRestore] = useState<Record<string, unknown> | null>(null);

  useEffect(() => {
    const st = location.state as { useVideoSettings?: Record<string, unknown> } | null;
    if (!st?.useVideoSettings) return;
    restoreSettings(st.useVideoSettings);
    navigate({ pathname: location.pathname }, { replace: true, state: null });
  }, [location.state]); // eslint-disable-line react-hooks/exhaustive-deps

  function restoreSettings(p: Record<string, unknown>) {
    const refs = Array.isArray(p.reference_images) ? p.reference_images : [];
    setKind(p.kind === "i2v" || refs.length ? "i2v" : "video");
    if (typeof p.model === "string") setModelId(p.model);
    setRestore(p);
    window.scrollTo({ top: 0, behavior: "smooth" });
  }

  // A model the studio no longer has: the settings go onto the model shown (its rules apply).
  const restoreTarget = restore && typeof restore.model === "string" ? restore.model : null;
  const restoreGone = !!restoreTarget && models.length > 0 && remoteFetched && !usable.some((m) => m.id === restoreTarget) && !remoteUsable.some((m) => m.id === restoreTarget);
  // The model whose defaults the form holds: its defaults apply once, when it becomes the chosen one.
  const defaultsFor = useRef<string | null>(null);
  useEffect(() => {
    if (restore && (restoreGone || model?.id === restoreTarget || chosenRemote?.id === restoreTarget)) {
      defaultsFor.current = model?.id ?? null;
      if (model) setForm(videoFormFromParams(model, restore));
      else setForm({ ...emptyVideoForm, ...videoFormFromParams({ ...EMPTY_RULES }, restore) });
      if (chosenRemote && typeof restore.duration === "number") setDuration(restore.duration);
      const source = sourceFromParams(restore);
      setSources(source ? [source] : []);
      setRestore(null);
      return;
    }
    if (!model || defaultsFor.current === model.id) return;
    defaultsFor.current = model.id;
    setForm((f) => withVideoModel(f, model));
  }, [model?.id, chosenRemote?.id, restore, restoreGone]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!chosenRemote || restore) return;
    setDuration(defaultDuration(chosenRemote));
    setProviderParams({});
  }, [chosenRemote?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  const jobs = useQuery({ queryKey: videoKeys.jobs(kind), queryFn: () => videoApi.jobs(kind) });
  // Remote jobs run as the "remote" kind: each tab shows those of its remote models.
  const remoteJobs = useQuery({
    queryKey: qk.jobs(REMOTE_JOBS),
    queryFn: () => fetchers.jobs(REMOTE_JOBS),
    enabled: remoteUsable.length > 0,
  });
  const tooManyFrames = !chosenRemote && model ? framesProblem(frames, model, fps) : null;
  const submit = useMutation({
    mutationFn: () =>
      chosenRemote
        ? submitRemote(
            kind,
            chosenRemote,
            remoteVideoRequest(chosenRemote, {
              prompt,
              negative_prompt: negative,
              duration,
              seed,
              provider_params: providerParams,
            }),
            kind === "i2v" ? sources : [],
          )
        : videoApi.submit(kind, localVideoRequest(model?.id ?? "", form, sources, kind === "i2v")),
    onSuccess: () => {
      setForm(afterVideoSubmit);
      return qc.invalidateQueries({ queryKey: ["jobs"] });
    },
  });
  const errors = fieldErrors(submit.error);
  const items = useMemo(() => {
    const tabModelIds = new Set(remoteUsable.map((m) => m.id));
    const remoteItems = remoteUsable.length ? (remoteJobs.data?.items ?? []).filter((j) => tabModelIds.has(String(j.params.model))) : [];
    return [...(jobs.data?.items ?? []), ...remoteItems].sort((a, b) => b.created_at - a.created_at).slice(0, 20);
  }, [jobs.data, remoteJobs.data, remoteUsable]);
  const byId = new Map<string, Job>(items.map((j) => [j.id, j]));
  const cancel = (id: string) =>
    (byId.get(id)?.kind === "remote" ? fetchers.cancelJob(id) : videoApi.cancel(kind, id)).then(() => qc.invalidateQueries({ queryKey: ["jobs"] }));
  const sourceMax = chosenRemote ? remoteImageCapacity(chosenRemote) : Math.max(1, model?.reference_images ?? 1);

  return (
    <div className="space-y-4">
      <PageHeader title="Video">
        <Tabs
          label="Video mode"
          value={kind}
          onChange={(v) => setKind(v as VideoKind)}
          items={[
            { value: "video", label: "Text to video" },
            { value: "i2v", label: "Image to video" },
          ]}
        />
      </PageHeader>
      <ErrorText error={modelsError} />
      <div className="grid gap-4 lg:grid-cols-[380px_1fr]">
        <Card className="space-y-3 p-4" data-testid="video-form">
          {usable.length === 0 && remoteUsable.length === 0 ? (
            <Empty>No {kind === "video" ? "text-to-video" : "image-to-video"} models in the catalogue.</Empty>
          ) : (
            <form
              className="space-y-3"
              onSubmit={(e) => {
                e.preventDefault();
                if (!tooManyFrames) submit.mutate();
              }}
            >
              <Field label="Model" error={errors.model}>
                <Select value={chosenRemote?.id ?? model?.id} onChange={(e) => setModelId(e.target.value)} data-testid="video-model-select">
                  {current.length > 0 && (
                    <optgroup label="Local">
                      {current.map((m) => (
                        <option key={m.id} value={m.id}>
                          {videoOptionLabel(m, ready)}
                        </option>
                      ))}
                    </optgroup>
                  )}
                  {remoteGroups(remoteUsable).map(([provider, list]) => (
                    <optgroup key={provider} label={`${provider} (remote)`}>
                      {list.map((m) => (
                        <option key={m.id} value={m.id}>
                          {m.name} — {formatPrice(m.price) ?? "price unknown"}
                          {m.provider_configured === false ? " · no key" : ""}
                        </option>
                      ))}
                    </optgroup>
                  ))}
                  {legacy.length > 0 && (
                    <optgroup label="Legacy">
                      {legacy.map((m) => (
                        <option key={m.id} value={m.id}>
                          {videoOptionLabel(m, ready)}
                        </option>
                      ))}
                    </optgroup>
                  )}
                </Select>
              </Field>
              {chosenRemote && <RemoteModelBadge model={chosenRemote} />}
              {kind === "i2v" && (chosenRemote || model) && (
                <SourceImages
                  max={sourceMax}
                  hint={chosenRemote ? remoteSourceHint(sourceMax) : model?.reference_images_use}
                  value={sources}
                  onChange={setSources}
                  error={errors["reference_images.0"] ?? errors.reference_images}
                  remoteName={chosenRemote?.name}
                />
              )}
              {chosenRemote ? (
                <RemoteVideoFields
                  model={chosenRemote}
                  prompt={prompt}
                  setPrompt={(v) => set("prompt", v)}
                  negative={negative}
                  setNegative={(v) => set("negative", v)}
                  duration={duration}
                  setDuration={setDuration}
                  seed={seed}
                  setSeed={(v) => setForm((f) => ({ ...f, seed: v, seedOnce: false }))}
                  providerParams={providerParams}
                  setProviderParams={setProviderParams}
                  errors={errors}
                />
              ) : (
                <>
                  {model?.prompt !== false && (
                    <Field label="Prompt" error={errors.prompt}>
                      <Textarea value={prompt} onChange={(e) => set("prompt", e.target.value)} rows={3} data-testid="video-prompt" />
                    </Field>
                  )}
                  {model?.negative_prompt && (
                    <Field label="Negative prompt" error={errors.negative_prompt}>
                      <Input value={negative} onChange={(e) => set("negative", e.target.value)} data-testid="video-negative" />
                    </Field>
                  )}
                  <div className="grid grid-cols-2 gap-2">
                    <Field label="Width" error={errors.width} hint={model?.fixed_size ? "fixed by the model" : `multiple of ${model?.size_multiple}`}>
                      <Input type="number" value={width} disabled={!!model?.fixed_size} onChange={(e) => set("width", Number(e.target.value))} data-testid="video-width" />
                    </Field>
                    <Field label="Height" error={errors.height}>
                      <Input type="number" value={height} disabled={!!model?.fixed_size} onChange={(e) => set("height", Number(e.target.value))} data-testid="video-height" />
                    </Field>
                    <Field
                      label={model ? `Frames (at most ${model.frames.max})` : "Frames"}
                      error={tooManyFrames ?? errors.num_frames}
                      hint={model ? `${model.frames.form} (${(frames / (fps || 1)).toFixed(1)} s)` : undefined}
                    >
                      <Input
                        type="number"
                        min={1}
                        max={model?.frames.max}
                        value={frames}
                        onChange={(e) => set("frames", Number(e.target.value))}
                        // Snapped to the model's form (4k+1 ...) but never silently cut to its maximum: that is said above.
                        onBlur={() => model && frames <= model.frames.max && set("frames", snapFrames(frames, model.frames))}
                        data-testid="video-frames"
                      />
                    </Field>
                    <Field label="FPS" error={errors.fps}>
                      <Input type="number" value={fps} onChange={(e) => set("fps", Number(e.target.value))} data-testid="video-fps" />
                    </Field>
                    <Field label="Steps" error={errors.steps}>
                      <Input type="number" value={steps} onChange={(e) => set("steps", Number(e.target.value))} data-testid="video-steps" />
                    </Field>
                    <Field label="Guidance" error={errors.guidance_scale}>
                      <Input type="number" step="0.5" value={guidance} onChange={(e) => set("guidance", Number(e.target.value))} data-testid="video-guidance" />
                    </Field>
                    <Field label="Seed" hint={form.seedOnce ? "restored: used for the next video, then random" : "empty: random"} error={errors.seed}>
                      <Input
                        value={seed}
                        onChange={(e) => setForm((f) => ({ ...f, seed: e.target.value.replace(/\D/g, ""), seedOnce: false }))}
                        data-testid="video-seed"
                      />
                    </Field>
                  </div>
                </>
              )}
              <ErrorText error={submit.error} />
              <Button
                type="submit"
                disabled={submit.isPending || !!tooManyFrames || (kind === "i2v" && sources.length === 0)}
                data-testid="video-generate"
              >
                <Film className="h-4 w-4" /> Generate video
              </Button>
              {kind === "i2v" && sources.length === 0 && <p className="text-xs text-muted-foreground">Add a source image to generate.</p>}
            </form>
          )}
        </Card>
        <div className="space-y-3" data-testid="video-results">
          {items.length === 0 && <Empty>Videos you make appear here.</Empty>}
          {items.map((job) =>
            job.status === "completed" && job.videos?.length ? (
              <VideoResult key={job.id} job={job} onReuse={() => restoreSettings(job.params)} />
            ) : (
              <JobProgress key={job.id} job={job} onCancel={cancel} />
            ),
          )}
        </div>
      </div>
    </div>
  );
}

/** A remote model's form restores only what it has (prompt, seed): the local rules are not read. */
const EMPTY_RULES = {
  default_width: 0,
  default_height: 0,
  frames: { default: 0, max: 0, step: 1, form: "" },
  fps: 0,
  default_steps: 0,
  default_guidance: 0,
} as unknown as VideoModel;

/** A remote job: its input images go as reference images of any form (a picked file, an asset, a stored upload), as many as the model takes. */
function submitRemote(kind: VideoKind, model: RemoteModelInfo, body: VideoJobRequest, sources: SourceImage[]) {
  const images = sources.slice(0, remoteImageCapacity(model)).map(toReferenceImage);
  return videoApi.submit(kind, images.length ? { ...body, reference_images: images } : body);
}

const remoteSourceHint = (max: number) => (max === 1 ? "the first frame" : `up to ${max}: the first frame, then the last frame`);

/** The image(s) a video starts from: a drop zone with thumbnails and remove buttons. */
function SourceImages({
  max,
  hint,
  value,
  onChange,
  error,
  remoteName,
}: {
  max: number;
  hint?: string;
  value: SourceImage[];
  onChange: (v: SourceImage[]) => void;
  error?: string;
  remoteName?: string;
}) {
  if (max === 0) return <p className="text-xs text-muted-foreground">{remoteName} takes no input image.</p>;
  return (
    <div className="space-y-1" data-testid="video-source">
      <div className="text-xs font-medium text-muted-foreground">
        {max === 1 ? "Source image" : `Source images (${Math.min(value.length, max)} of ${max} used)`}
      </div>
      <ReferenceImages value={value} onChange={onChange} max={max} error={error} noun="source image" testId="video-source" large />
      {hint && <p className="text-xs text-muted-foreground">{hint}</p>}
    </div>
  );
}

/** A finished video: the player with its poster, its prompt and what the server adjusted, and reuse. */
function VideoResult({ job, onReuse }: { job: Job; onReuse: () => void }) {
  const notes = Array.isArray(job.params.notes) ? (job.params.notes as unknown[]).map(String) : [];
  const prompt = typeof job.params.prompt === "string" ? job.params.prompt : "";
  const videos = job.videos ?? [];
  return (
    <Card className="space-y-2 p-3" data-testid="video-result" data-job-id={job.id}>
      {videos.map((v) => (
        <video key={v.id} src={v.url} poster={v.thumbnail_url ?? undefined} controls loop preload="none" className="max-h-[60vh] w-full rounded-md bg-black" />
      ))}
      {prompt && (
        <p className="line-clamp-3 text-sm" data-testid="video-result-prompt" title={prompt}>
          {prompt}
        </p>
      )}
      <p className="text-xs text-muted-foreground">
        {[String(job.params.model ?? ""), videos[0]?.width && `${videos[0].width}×${videos[0].height}`, videos[0]?.num_frames && `${videos[0].num_frames} frames`, videos[0]?.fps && `${videos[0].fps} fps`, job.params.seed != null && `seed ${String(job.params.seed)}`]
          .filter(Boolean)
          .join(" · ")}
      </p>
      {notes.length > 0 && (
        <ul className="list-disc space-y-0.5 pl-5 text-xs text-amber-700 dark:text-amber-400" data-testid="video-result-notes">
          {notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <div className="flex flex-wrap items-center gap-3">
        <Button size="sm" variant="outline" onClick={onReuse} data-testid="video-use-settings">
          <Wand2 className="h-3.5 w-3.5" /> Use these settings
        </Button>
        <Link to={`/assets/${videos[0].id}`} className="text-xs text-primary hover:underline">
          Open asset (upscale, download)
        </Link>
      </div>
    </Card>
  );
}

function remoteGroups(models: RemoteModelInfo[]): [string, RemoteModelInfo[]][] {
  const groups = new Map<string, RemoteModelInfo[]>();
  for (const m of models) {
    const key = m.provider_name ?? m.provider;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.entries()];
}

/** The fields a remote text-to-video job takes: prompt, duration, and the model's own parameters. */
function RemoteVideoFields({
  model,
  prompt,
  setPrompt,
  negative,
  setNegative,
  duration,
  setDuration,
  seed,
  setSeed,
  providerParams,
  setProviderParams,
  errors,
}: {
  model: RemoteModelInfo;
  prompt: string;
  setPrompt: (v: string) => void;
  negative: string;
  setNegative: (v: string) => void;
  duration: number;
  setDuration: (v: number) => void;
  seed: string;
  setSeed: (v: string) => void;
  providerParams: Record<string, unknown>;
  setProviderParams: (v: Record<string, unknown>) => void;
  errors: Partial<Record<string, string>>;
}) {
  const choices = durationChoices(model);
  return (
    <div className="space-y-3" data-testid="remote-video-fields">
      <Field label="Prompt" error={errors.prompt}>
        <Textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} data-testid="video-prompt" />
      </Field>
      {takesField(model, "negative_prompt") && (
        <Field label="Negative prompt" error={errors.negative_prompt}>
          <Input value={negative} onChange={(e) => setNegative(e.target.value)} />
        </Field>
      )}
      <div className="grid grid-cols-2 gap-2">
        <Field label="Duration (seconds)" error={errors.duration}>
          {choices ? (
            <Select value={String(duration)} onChange={(e) => setDuration(Number(e.target.value))} data-testid="video-duration">
              {choices.map((d) => (
                <option key={d} value={String(d)}>
                  {d} s
                </option>
              ))}
            </Select>
          ) : (
            <Input type="number" min={1} max={120} value={duration} onChange={(e) => setDuration(Number(e.target.value))} data-testid="video-duration" />
          )}
        </Field>
        {takesField(model, "seed") && (
          <Field label="Seed" hint="empty: random" error={errors.seed}>
            <Input value={seed} onChange={(e) => setSeed(e.target.value.replace(/\D/g, ""))} />
          </Field>
        )}
      </div>
      <ProviderParamFields specs={providerParamSpecs(model)} value={providerParams} onChange={setProviderParams} errors={errors} />
    </div>
  );
}
