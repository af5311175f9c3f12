import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Film } from "lucide-react";
import { useEffect, useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { fieldErrors } from "@/api/client";
import { JobProgress } from "@/components/JobProgress";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, Select, Textarea } from "@/components/ui/input";
import { Card, Empty, ErrorText, PageHeader } from "@/components/ui/misc";
import { Tabs } from "@/components/ui/tabs";
import { fileToDataUrl, snapFrames, videoApi, videoKeys, type VideoKind, type VideoModel } from "./api";

/** Text-to-video and image-to-video: a form per model's rules, live progress, and a player for results. */
export function VideoPage() {
  const qc = useQueryClient();
  const [kind, setKind] = useState<VideoKind>("video");
  const { data: models = [], error: modelsError } = useQuery({ queryKey: videoKeys.models, queryFn: videoApi.models });
  const usable = useMemo(() => models.filter((m) => (kind === "video" ? m.text_to_video : m.image_to_video)), [models, kind]);
  const [modelId, setModelId] = useState("");
  const model: VideoModel | undefined = usable.find((m) => m.id === modelId) ?? usable[0];
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

  useEffect(() => {
    if (!model) return;
    setWidth(model.default_width);
    setHeight(model.default_height);
    setFrames(model.frames.default);
    setFps(model.fps);
    setSteps(model.default_steps);
    setGuidance(model.default_guidance);
  }, [model?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  const jobs = useQuery({ queryKey: videoKeys.jobs(kind), queryFn: () => videoApi.jobs(kind) });
  const submit = useMutation({
    mutationFn: () =>
      videoApi.submit(kind, {
        model: model?.id,
        prompt,
        negative_prompt: negative || null,
        width,
        height,
        num_frames: frames,
        fps,
        steps,
        guidance_scale: guidance,
        seed: seed === "" ? null : Number(seed),
        ...(kind === "i2v" ? { reference_images: images.map((image_base64) => ({ image_base64 })) } : {}),
      }),
    onSuccess: () => qc.invalidateQueries({ queryKey: videoKeys.jobs(kind) }),
  });
  const cancel = (id: string) => videoApi.cancel(kind, id).then(() => qc.invalidateQueries({ queryKey: videoKeys.jobs(kind) }));
  const errors = fieldErrors(submit.error);
  const items = jobs.data?.items ?? [];

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
          {usable.length === 0 ? (
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
                <Select value={model?.id} onChange={(e) => setModelId(e.target.value)}>
                  {usable.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                      {m.audio ? " (with audio)" : ""}
                    </option>
                  ))}
                </Select>
              </Field>
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
                    onBlur={() => model && setFrames(snapFrames(frames, model.frames.form, model.frames.max))}
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
