import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ApiError } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { ControlModels, Job } from "@/api/types";
import { Field } from "@/components/ui/field";
import { Select } from "@/components/ui/input";
import { ProgressBar } from "@/components/ui/misc";
import { Slider } from "@/components/ui/slider";
import { isFinished, mergeJob } from "@/live/jobsReducer";
import { useLive } from "@/live/store";
import { ReferenceImages, type RefImage } from "./ReferenceImages";
import { toReferenceImage, type ControlChoice } from "./formState";

type ControlNet = ControlModels["controlnets"][number];
const ANY_TYPES = ["canny", "depth", "pose", "tile"];

/** The preprocessor a control type is usually made with: its own name (canny, tile), else a model that makes it. */
export function preprocessorFor(type: string, preprocessors: ControlModels["preprocessors"]): string {
  return preprocessors.find((p) => p.id === type)?.id ?? preprocessors.find((p) => p.produces === type)?.id ?? "none";
}

/** A new control input for `net`, of its first type, with that type's usual preprocessor. */
function newChoice(image: RefImage, net: ControlNet | undefined, preprocessors: ControlModels["preprocessors"]): ControlChoice {
  const types = Object.keys(net?.modes ?? {});
  const type = !types.length || types.includes("canny") ? "canny" : types[0];
  return { key: image.key, image, model: net?.id ?? null, type, preprocessor: preprocessorFor(type, preprocessors), scale: 0.7, start: 0, end: 1 };
}

/** The download job a 409 from the preview names: a preprocessor model that is not on this machine yet. */
export function downloadJobOf(e: unknown): string | null {
  if (!(e instanceof ApiError) || e.status !== 409 || !e.errors || typeof e.errors !== "object") return null;
  const id = (e.errors as { download_job_id?: unknown }).download_job_id;
  return typeof id === "string" ? id : null;
}

/** What the preview area says while the preprocessor model downloads: the map follows by itself, no retry needed. */
function downloadSentence(p: ControlModels["preprocessors"][number] | undefined, serverMessage: string): string {
  if (!p) return serverMessage;
  return `${p.name} is not downloaded yet; downloading it now${p.size_gb ? ` (${p.size_gb} GB)` : ""}. The map appears here when it finishes.`;
}

/** A job followed live (websocket events), with the REST answer polled as well in case the socket is down. */
function useFollowedJob(jobId: string | null): Job | undefined {
  const live = useLive((s) => (jobId ? s.jobs[jobId] : undefined));
  const { data } = useQuery({
    queryKey: qk.job(jobId ?? ""),
    queryFn: () => fetchers.job(jobId ?? ""),
    enabled: !!jobId && !isFinished(live?.status),
    refetchInterval: 1000,
  });
  return data ? mergeJob(data, live) : live;
}

interface PreviewState {
  url: string | null;
  error: string | null;
  busy: boolean;
  /** The job downloading the preprocessor model; the preview is made again once it completes. */
  download: { jobId: string; message: string } | null;
}

/** The control map the chosen preprocessor makes of the image, as an object URL (null: none to show). */
function usePreview(choice: ControlChoice | undefined): PreviewState & { downloadJob: Job | undefined } {
  const [state, setState] = useState<PreviewState>({ url: null, error: null, busy: false, download: null });
  const [attempt, setAttempt] = useState(0);
  const image = choice?.image;
  const preprocessor = choice?.preprocessor;
  const low = choice?.low_threshold;
  const high = choice?.high_threshold;
  const qc = useQueryClient();
  const downloadJob = useFollowedJob(state.download?.jobId ?? null);
  const downloadStatus = downloadJob?.status;
  const downloadError = downloadJob?.error;
  useEffect(() => {
    if (!state.download || !isFinished(downloadStatus)) return;
    if (downloadStatus === "completed") {
      setAttempt((n) => n + 1);
      void qc.invalidateQueries({ queryKey: qk.controlModels }); // the list stops saying "downloads on first use"
    } else setState((s) => ({ ...s, download: null, error: downloadError ?? "The preprocessor model's download did not finish." }));
  }, [downloadStatus, downloadError, state.download, qc]);
  useEffect(() => {
    if (!image || !preprocessor || preprocessor === "none") {
      setState({ url: null, error: null, busy: false, download: null });
      return;
    }
    const abort = new AbortController();
    let url: string | null = null;
    setState((s) => ({ ...s, busy: true, error: null }));
    fetchers
      .controlPreview({ image: toReferenceImage(image), preprocessor, low_threshold: low ?? undefined, high_threshold: high ?? undefined }, abort.signal)
      .then((blob) => {
        url = URL.createObjectURL(blob);
        setState({ url, error: null, busy: false, download: null });
      })
      .catch((e: unknown) => {
        if ((e as Error)?.name === "AbortError") return;
        const jobId = downloadJobOf(e);
        if (jobId) setState({ url: null, error: null, busy: false, download: { jobId, message: (e as ApiError).detail } });
        else setState({ url: null, error: (e as Error).message, busy: false, download: null });
      });
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [image, preprocessor, low, high, attempt]);
  return { ...state, downloadJob };
}

/**
 * The Image form's Control section: one control image steering a new image through a ControlNet that fits the
 * model (GET /api/control/models), its control type, the preprocessor that turns a photo into the map (with a
 * preview of the map from POST /api/control/preprocess), and how strongly and over which steps it steers.
 */
export function ControlSection({ value, onChange, modelType }: { value: ControlChoice[] | undefined; onChange: (v: ControlChoice[]) => void; modelType: string | undefined }) {
  const { data } = useQuery({ queryKey: qk.controlModels, queryFn: fetchers.controlModels, staleTime: 60_000 });
  const choice = value?.[0];
  const preview = usePreview(choice);
  // As the server picks one: the user's own first, then those already downloaded.
  const rank = (c: ControlNet) => (c.user_defined ? 0 : 2) + (c.downloaded ? 0 : 1);
  const fitting = (data?.controlnets ?? []).filter((c) => c.base === modelType).sort((a, b) => rank(a) - rank(b));
  const preprocessors = data?.preprocessors ?? [];
  const net = fitting.find((c) => c.id === choice?.model) ?? fitting[0];
  const types = net && Object.keys(net.modes).length ? Object.keys(net.modes) : ANY_TYPES;
  const update = (changes: Partial<ControlChoice>) => choice && onChange([{ ...choice, ...changes }]);

  if (!data) return null;
  if (!fitting.length && !choice) {
    const families = [...new Set(data.controlnets.map((c) => c.base))].filter(Boolean).join(", ");
    return (
      <p className="text-xs text-muted-foreground" data-testid="control-none">
        Control: no ControlNet fits this model{families ? ` (there are ControlNets for ${families} models)` : ""}.
      </p>
    );
  }
  return (
    <details className="rounded-md border border-border p-3" open={!!choice || undefined} data-testid="control-section">
      <summary className="cursor-pointer text-sm font-medium">
        Control
        <span className="font-normal text-muted-foreground">{choice ? ` (${choice.type}, ${net?.name ?? "ControlNet"})` : " (ControlNet: follow the edges, depth or pose of an image)"}</span>
      </summary>
      <div className="mt-3 grid gap-4 @md:grid-cols-2">
        <div className="space-y-2">
          <span className="text-xs font-medium text-muted-foreground">Control image</span>
          <ReferenceImages
            value={choice ? [choice.image as RefImage] : []}
            onChange={(images) => onChange(images.length ? [choice ? { ...choice, key: images[0].key, image: images[0] } : newChoice(images[0], net, preprocessors)] : [])}
            max={1}
            noun="control image"
            testId="control"
            large
          />
          {choice && choice.preprocessor !== "none" && (
            <figure className="space-y-1">
              {!preview.download && <figcaption className="text-xs text-muted-foreground">{preview.busy ? "Making the map…" : "The map the model follows"}</figcaption>}
              {preview.download && (
                <div className="space-y-2 rounded-md border border-border bg-muted/40 p-2" data-testid="control-preview-download">
                  <p className="text-sm" data-testid="control-preview-download-message">
                    {downloadSentence(preprocessors.find((p) => p.id === choice.preprocessor), preview.download.message)}
                  </p>
                  <ProgressBar value={preview.downloadJob?.progress ?? 0} label="Preprocessor model download" className="h-2.5" />
                  <p className="text-xs tabular-nums text-muted-foreground" data-testid="control-preview-download-progress">
                    {Math.round(preview.downloadJob?.progress ?? 0)}%{preview.downloadJob?.message ? ` · ${preview.downloadJob.message}` : ""}
                  </p>
                </div>
              )}
              {preview.url && <img src={preview.url} alt="Preprocessed control map" data-testid="control-preview" className="h-28 w-28 rounded-md border border-border bg-black object-contain" />}
              {preview.error && (
                <p role="alert" className="text-xs text-destructive" data-testid="control-preview-error">
                  {preview.error}
                </p>
              )}
            </figure>
          )}
        </div>
        {choice && (
          <div className="space-y-3">
            {fitting.length > 1 && (
              <Field label="ControlNet">
                <Select data-testid="control-model" value={net?.id ?? ""} onChange={(e) => update({ model: e.target.value })}>
                  {fitting.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                      {c.downloaded ? "" : ` (downloads ${c.size_gb} GB on first use)`}
                    </option>
                  ))}
                </Select>
              </Field>
            )}
            <div className="space-y-3">
              <Field label="Type">
                <Select data-testid="control-type" value={choice.type ?? "canny"} onChange={(e) => update({ type: e.target.value, preprocessor: preprocessorFor(e.target.value, preprocessors) })}>
                  {types.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Preprocessor">
                <Select data-testid="control-preprocessor" value={choice.preprocessor ?? "none"} onChange={(e) => update({ preprocessor: e.target.value })}>
                  {preprocessors.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                      {p.downloaded ? "" : ` (downloads ${p.size_gb} GB on first use)`}
                    </option>
                  ))}
                </Select>
              </Field>
            </div>
            <div>
              <div className="flex justify-between text-xs text-muted-foreground">
                <span>Strength</span>
                <span className="tabular-nums" data-testid="control-scale">
                  {(choice.scale ?? 0.7).toFixed(2)}
                </span>
              </div>
              <Slider label="Control strength" value={choice.scale ?? 0.7} min={0} max={2} step={0.05} onChange={(v) => update({ scale: v })} />
            </div>
            <div>
              <div className="flex justify-between text-xs text-muted-foreground">
                <span>Steps steered</span>
                <span className="tabular-nums">
                  {Math.round((choice.start ?? 0) * 100)}% to {Math.round((choice.end ?? 1) * 100)}%
                </span>
              </div>
              <Slider label="Control ends at" value={choice.end ?? 1} min={0.05} max={1} step={0.05} onChange={(v) => update({ end: v, start: Math.min(choice.start ?? 0, v - 0.05) })} />
            </div>
          </div>
        )}
      </div>
    </details>
  );
}
