import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Film } from "lucide-react";
import { useEffect, useMemo, useState } from "react";
import { Link } from "react-router-dom";
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
import { formatPrice, takesField, type RemoteModelInfo } from "@/pages/providers/api";
import { useRemoteModels } from "@/pages/providers/hooks";
import { ProviderParamFields } from "@/pages/providers/ProviderParamFields";
import {
  defaultDuration,
  durationChoices,
  fileToDataUrl,
  providerParamSpecs,
  remoteImageCapacity,
  remoteVideoRequest,
  snapFrames,
  videoApi,
  videoKeys,
  videoOptionLabel,
  type VideoKind,
  type VideoModel,
} from "./api";

const REMOTE_JOBS = { kind: "remote", limit: 50 };
const REMOTE_CATEGORY: Record<VideoKind, string> = { video: "text-to-video", i2v: "image-to-video" };

/**
 * Text-to-video and image-to-video: a form per model's rules, live progress, and a player for results.
 * Each tab also offers the enabled providers' remote models of its kind (text-to-video,
 * image-to-video); a remote image-to-video model gets its input images as `reference_images`.
 */
export function VideoPage() {
  const qc = useQueryClient();
  const [kind, setKind] = useState<VideoKind>("video");
  const { data: models = [], error: modelsError } = useQuery({ queryKey: videoKeys.models, queryFn: videoApi.models });
  const { data: remoteVideo } = useRemoteModels("video");
  const usable = useMemo(() => models.filter((m) => (kind === "video" ? m.text_to_video : m.image_to_video)), [models, kind]);
  const remoteUsable = useMemo(
    () => (remoteVideo ?? []).filter((m) => m.category === REMOTE_CATEGORY[kind]),
    [remoteVideo, kind],
  );
  const [modelId, setModelId] = useState("");
  const remote: RemoteModelInfo | undefined = remoteUsable.find((m) => m.id === modelId);
  // Which local models run without a download (the catalogue knows; the video list does not say).
  const { data: catalogue } = useQuery({ queryKey: qk.models, queryFn: fetchers.models });
  const ready = useMemo(() => new Set((catalogue ?? []).filter((m) => m.downloaded).map((m) => m.id)), [catalogue]);
  const [current, legacy] = useMemo(() => [usable.filter((m) => !m.legacy), usable.filter((m) => m.legacy)], [usable]);
  const model: VideoModel | undefined = remote
    ? undefined
    : (usable.find((m) => m.id === modelId) ?? current.find((m) => ready.has(m.id)) ?? current[0] ?? usable[0]);
  const chosenRemote = remote ?? (model ? undefined : remoteUsable[0]); // no local model: the first remote one
  const [prompt, setPrompt] = useState("");
  const [negative, setNegative] = useState("");
  const [width, setWidth] = useState(0);
  const [height, setHeight] = useState(0);
  const [frames, setFrames] = useState(0);
  const [fps, setFps] = useState(0);
  const [steps, setSteps] = useState(0);
  const [guidance, setGuidance] = useState(0);
  const [seed, setSeed] = useState("");
  const [images, setImages] = useState<string[]>([]);
  const [duration, setDuration] = useState(5);
  const [providerParams, setProviderParams] = useState<Record<string, unknown>>({});

  useEffect(() => {
    if (!model) return;
    setWidth(model.default_width);
    setHeight(model.default_height);
    setFrames(model.frames.default);
    setFps(model.fps);
    setSteps(model.default_steps);
    setGuidance(model.default_guidance);
  }, [model?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!chosenRemote) return;
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
  const submit = useMutation({
    mutationFn: () =>
      chosenRemote
        ? videoApi.submit(
            kind,
            remoteVideoRequest(chosenRemote, {
              prompt,
              negative_prompt: negative,
              duration,
              seed,
              provider_params: providerParams,
              images: kind === "i2v" ? images : [],
            }),
          )
        : videoApi.submit(kind, {
        model: model?.id ?? "",
        prompt,
        negative_prompt: negative || null,
        width,
        height,
        num_frames: frames,
        fps,
        steps,
        guidance_scale: guidance,
        seed: seed === "" ? null : Number(seed),
        reference_images: kind === "i2v" ? images.map((image_base64) => ({ image_base64 })) : [],
      }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["jobs"] }),
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
                submit.mutate();
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
              {chosenRemote && kind === "i2v" && (
                <RemoteInputImages model={chosenRemote} count={images.length} onChange={setImages} error={errors["reference_images.0"] ?? errors.reference_images} />
              )}
              {chosenRemote ? (
                <RemoteVideoFields
                  model={chosenRemote}
                  prompt={prompt}
                  setPrompt={setPrompt}
                  negative={negative}
                  setNegative={setNegative}
                  duration={duration}
                  setDuration={setDuration}
                  seed={seed}
                  setSeed={setSeed}
                  providerParams={providerParams}
                  setProviderParams={setProviderParams}
                  errors={errors}
                />
              ) : (
                <>
                  {kind === "i2v" && model && (
                    <Field label={`Reference images (${model.reference_images} used)`} hint={model.reference_images_use} error={errors["reference_images.0"] ?? errors.reference_images}>
                      <Input
                        type="file"
                        accept="image/*"
                        multiple
                        data-testid="video-references"
                        onChange={async (e) => setImages(await Promise.all([...(e.target.files ?? [])].slice(0, 5).map(fileToDataUrl)))}
                      />
                    </Field>
                  )}
                  {model?.prompt !== false && (
                    <Field label="Prompt" error={errors.prompt}>
                      <Textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} data-testid="video-prompt" />
                    </Field>
                  )}
                  {model?.negative_prompt && (
                    <Field label="Negative prompt" error={errors.negative_prompt}>
                      <Input value={negative} onChange={(e) => setNegative(e.target.value)} />
                    </Field>
                  )}
                  <div className="grid grid-cols-2 gap-2">
                    <Field label="Width" error={errors.width} hint={model?.fixed_size ? "fixed by the model" : `multiple of ${model?.size_multiple}`}>
                      <Input type="number" value={width} disabled={!!model?.fixed_size} onChange={(e) => setWidth(Number(e.target.value))} />
                    </Field>
                    <Field label="Height" error={errors.height}>
                      <Input type="number" value={height} disabled={!!model?.fixed_size} onChange={(e) => setHeight(Number(e.target.value))} />
                    </Field>
                    <Field label="Frames" error={errors.num_frames} hint={model ? `${model.frames.form}, at most ${model.frames.max} (${(frames / (fps || 1)).toFixed(1)} s)` : undefined}>
                      <Input
                        type="number"
                        value={frames}
                        onChange={(e) => setFrames(Number(e.target.value))}
                        onBlur={() => model && setFrames(snapFrames(frames, model.frames))}
                      />
                    </Field>
                    <Field label="FPS" error={errors.fps}>
                      <Input type="number" value={fps} onChange={(e) => setFps(Number(e.target.value))} />
                    </Field>
                    <Field label="Steps" error={errors.steps}>
                      <Input type="number" value={steps} onChange={(e) => setSteps(Number(e.target.value))} />
                    </Field>
                    <Field label="Guidance" error={errors.guidance_scale}>
                      <Input type="number" step="0.5" value={guidance} onChange={(e) => setGuidance(Number(e.target.value))} />
                    </Field>
                    <Field label="Seed" hint="empty: random" error={errors.seed}>
                      <Input value={seed} onChange={(e) => setSeed(e.target.value.replace(/\D/g, ""))} />
                    </Field>
                  </div>
                </>
              )}
              <ErrorText error={submit.error} />
              <Button type="submit" disabled={submit.isPending || (kind === "i2v" && images.length === 0)} data-testid="video-generate">
                <Film className="h-4 w-4" /> Generate video
              </Button>
            </form>
          )}
        </Card>
        <div className="space-y-3" data-testid="video-results">
          {items.length === 0 && <Empty>Videos you make appear here.</Empty>}
          {items.map((job) =>
            job.status === "completed" && job.videos?.length ? (
              <Card key={job.id} className="space-y-2 p-3">
                {job.videos.map((v) => (
                  <video key={v.id} src={v.url} poster={v.thumbnail_url ?? undefined} controls loop className="max-h-[60vh] w-full rounded-md bg-black" />
                ))}
                <Link to={`/assets/${job.videos[0].id}`} className="text-xs text-primary hover:underline">
                  Open asset (upscale, download)
                </Link>
              </Card>
            ) : (
              <JobProgress key={job.id} job={job} onCancel={cancel} />
            ),
          )}
        </div>
      </div>
    </div>
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

/** The input images of a remote image-to-video model: the first frame, then a last frame where it takes one. */
function RemoteInputImages({
  model,
  count,
  onChange,
  error,
}: {
  model: RemoteModelInfo;
  count: number;
  onChange: (images: string[]) => void;
  error?: string;
}) {
  const max = remoteImageCapacity(model);
  if (max === 0) return <p className="text-xs text-muted-foreground">{model.name} takes no input image.</p>;
  const hint = max === 1 ? "the first frame" : `up to ${max}: the first frame, then the last frame`;
  return (
    <Field label={`Input images (${Math.min(count, max)} of ${max} used)`} hint={hint} error={error}>
      <Input
        type="file"
        accept="image/*"
        multiple={max > 1}
        data-testid="video-references"
        onChange={async (e) => onChange(await Promise.all([...(e.target.files ?? [])].slice(0, max).map(fileToDataUrl)))}
      />
    </Field>
  );
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
