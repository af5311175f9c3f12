import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, Download, HardDrive, RotateCcw, Search, Trash2, X } from "lucide-react";
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { ApiError, get } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { components } from "@/api/schema";
import { isActive, type CacheStatus, type Job, type LocalModel, type Sent } from "@/api/types";
import type { DownloadProgressEvent } from "@/live/events";
import { useLive } from "@/live/store";
import { formatBytes, formatGb, formatSeconds } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { Badge, Card, Empty, ErrorText, PageHeader, ProgressBar } from "@/components/ui/misc";
import { Input } from "@/components/ui/input";
import { Tabs } from "@/components/ui/tabs";
import { CivitaiBrowser } from "./civitai/CivitaiBrowser";
import { categoryLabel, groupByCategory, matchesSearch } from "./image/ModelSelect";
import { AddModelDialog } from "./models/AddModelDialog";
import { ModelFoldersPanel } from "./models/ModelFoldersPanel";

/** The model a download job fetches: `/api/models/downloads` and the live jobs carry it in `params.model`. */
export const downloadModelId = (job: Pick<Job, "params">): string | null =>
  typeof job.params?.model === "string" ? job.params.model : null;

/** The active download job of a model among `jobs` (a download page's items or the live jobs). */
export const activeDownloadOf = (jobs: Iterable<Job>, modelId: string): Job | undefined =>
  [...jobs].find((j) => isActive(j.status) && j.kind.includes("download") && downloadModelId(j) === modelId);

/** A catalogue entry with the downloaded state of the cache status when the server has one (it is refreshed on its own). */
export function withCacheStatus(m: LocalModel, cache: CacheStatus | null | undefined): LocalModel {
  if (!cache || m.source !== "hub") return m;
  return { ...m, downloaded: cache.downloaded.includes(m.id) };
}

export function useModels() {
  const models = useQuery({ queryKey: qk.models, queryFn: fetchers.models });
  const cache = useQuery({ queryKey: qk.cacheStatus, queryFn: fetchers.cacheStatus });
  const merged = useMemo(() => models.data?.map((m) => withCacheStatus(m, cache.data)) ?? null, [models.data, cache.data]);
  return { ...models, data: models.data === null ? null : merged };
}

/** What a model's card and page show of its download: progress while it runs, or why it failed (to retry). */
export type DownloadState =
  | { state: "running"; job: Job | undefined; bytes: DownloadProgressEvent | undefined; pct: number }
  | { state: "failed"; job: Job; message: string };

const isDownloadOf = (j: Job, modelId: string) => j.kind.includes("download") && downloadModelId(j) === modelId;

/**
 * A model's download state from its newest download job: the live jobs (websocket) over the server's list
 * (`/api/models/downloads`, so a download started or failed before the page loaded shows too), and the live
 * byte counts. A finished or cancelled download shows nothing; a failed one its readable reason.
 */
export function downloadState(live: Iterable<Job>, listed: Iterable<Job>, downloads: Iterable<DownloadProgressEvent>, modelId: string): DownloadState | null {
  const byId = new Map<string, Job>();
  for (const j of listed) if (isDownloadOf(j, modelId)) byId.set(j.id, j);
  for (const j of live) if (isDownloadOf(j, modelId)) byId.set(j.id, { ...byId.get(j.id), ...j });
  const job = [...byId.values()].sort((a, b) => b.created_at - a.created_at)[0];
  const events = [...downloads];
  if (job && !isActive(job.status)) {
    if (job.status !== "failed") return null;
    return { state: "failed", job, message: job.error || "The download failed. Retry it, or see the job on the Queue page for details." };
  }
  // Bytes of this job; before the job is known, bytes naming the model (but not those of an older attempt).
  const bytes = job ? events.find((d) => d.job_id === job.id) : events.find((d) => d.model_id === modelId && !d.job_id);
  if (!job && (!bytes || (bytes.total_bytes != null && bytes.downloaded_bytes >= bytes.total_bytes))) return null;
  const pct = bytes?.total_bytes ? (100 * bytes.downloaded_bytes) / bytes.total_bytes : (job?.progress ?? 0);
  return { state: "running", job, bytes, pct };
}

/** Live download state of one model (see `downloadState`). */
export function useModelDownload(modelId: string): DownloadState | null {
  const jobs = useLive((s) => s.jobs);
  const downloads = useLive((s) => s.downloads);
  const page = useQuery({ queryKey: qk.downloads, queryFn: fetchers.downloads, staleTime: 5_000 });
  return useMemo(() => downloadState(Object.values(jobs), page.data ?? [], Object.values(downloads), modelId), [jobs, downloads, page.data, modelId]);
}

export function ModelActions({ model }: { model: LocalModel }) {
  const qc = useQueryClient();
  const [err, setErr] = useState<string | null>(null);
  const dl = useModelDownload(model.id);
  const onError = (e: unknown) => setErr(e instanceof ApiError ? (e.status === 404 || e.status === 405 ? "Not available on this server yet." : e.detail) : String(e));
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: qk.models });
    void qc.invalidateQueries({ queryKey: qk.cacheStatus });
    void qc.invalidateQueries({ queryKey: qk.downloads }); // the new job, should its event come late
  };
  const download = useMutation({ mutationFn: () => fetchers.downloadModel(model.id), onError, onSuccess: () => (setErr(null), refresh()) });
  const remove = useMutation({ mutationFn: () => fetchers.deleteModelCache(model.id), onError, onSuccess: () => (setErr(null), refresh()) });
  const forget = useMutation({ mutationFn: () => fetchers.removeModel(model.id), onError, onSuccess: () => (setErr(null), refresh()) });
  const local = model.source === "folder" || model.source === "file";
  return (
    <div className="space-y-2">
      {dl?.state === "running" ? (
        <div data-testid="download-progress">
          <div className="flex justify-between gap-2 text-xs text-muted-foreground">
            <span className="truncate">{dl.job?.status === "queued" ? "Waiting to download…" : `Downloading${dl.bytes?.filename ? ` ${dl.bytes.filename}` : ""}…`}</span>
            <span className="shrink-0 tabular-nums">
              {dl.bytes ? `${formatBytes(dl.bytes.downloaded_bytes)} / ${formatBytes(dl.bytes.total_bytes)} · ` : ""}
              {`${Math.round(dl.pct)}%`}
              {dl.bytes?.eta_seconds != null ? ` · ${formatSeconds(dl.bytes.eta_seconds)}` : ""}
            </span>
          </div>
          <ProgressBar value={dl.pct} label={`Download of ${model.name}`} />
        </div>
      ) : dl?.state === "failed" && model.downloaded !== true ? (
        <div role="alert" data-testid="download-failed" className="space-y-2 rounded-md border border-destructive/40 bg-destructive/5 p-2.5">
          <p className="text-xs font-medium text-destructive">The download of {model.name} failed.</p>
          <p className="text-xs text-foreground">{dl.message}</p>
          <div className="flex flex-wrap items-center gap-2">
            <Button size="sm" onClick={() => download.mutate()} disabled={download.isPending} data-testid="retry-download">
              <RotateCcw className="h-3.5 w-3.5" /> Retry
            </Button>
            <Link to={`/queue/${dl.job.id}`} className="text-xs text-primary hover:underline">
              Details
            </Link>
          </div>
        </div>
      ) : (
        <div className="flex gap-2">
          {!local && model.downloaded !== true && (
            <Button size="sm" onClick={() => download.mutate()} disabled={download.isPending} data-testid="download-model">
              <Download className="h-3.5 w-3.5" /> Download {model.size_gb ? `(${formatGb(model.size_gb)})` : ""}
            </Button>
          )}
          {!local && model.downloaded === true && (
            <Button
              size="sm"
              variant="outline"
              onClick={() => confirm(`Delete the cached files of ${model.name}?`) && remove.mutate()}
              disabled={remove.isPending}
              data-testid="delete-cache"
            >
              <Trash2 className="h-3.5 w-3.5" /> Delete from cache
            </Button>
          )}
          {local && model.user_defined && (
            <Button
              size="sm"
              variant="outline"
              onClick={() => confirm(`Remove ${model.name} from the studio? Its files stay where they are.`) && forget.mutate()}
              disabled={forget.isPending}
              data-testid="remove-model"
            >
              <X className="h-3.5 w-3.5" /> Remove
            </Button>
          )}
        </div>
      )}
      {err && (
        <p role="alert" className="text-xs text-destructive">
          {err}
        </p>
      )}
    </div>
  );
}

export function CacheBadge({ model }: { model: LocalModel }) {
  if (model.source === "folder" || model.source === "file") return <Badge tone="primary">local</Badge>;
  if (model.downloaded === true)
    return (
      <Badge tone="success">
        <CheckCircle2 className="mr-1 h-3 w-3" /> cached
      </Badge>
    );
  if (model.downloaded === false) return <Badge>not downloaded</Badge>;
  return null;
}

/** `GET /api/models/config-problems`: what the studio could not use in config.yaml. */
export type ConfigProblems = Sent<components["schemas"]["ConfigProblems"]>;

/** The readable notice for what the studio could not use in config.yaml, or null when all was used. */
export function configProblemsNotice(p: ConfigProblems | null | undefined): { title: string; lines: string[] } | null {
  if (!p || (p.errors.length === 0 && p.skipped.length === 0)) return null;
  const n = p.skipped.length;
  const title =
    p.errors.length > 0
      ? "config.yaml could not be read; the studio uses its shipped models."
      : `${n} ${n === 1 ? "entry" : "entries"} in config.yaml ${n === 1 ? "was" : "were"} skipped:`;
  return { title, lines: [...p.errors, ...p.skipped.map((s) => `${s.id}: ${s.reason}`)] };
}

function ConfigProblemsNotice() {
  const { data } = useQuery({
    queryKey: ["models-config-problems"],
    queryFn: () => get<ConfigProblems>("/api/models/config-problems"),
    retry: false,
  });
  const notice = configProblemsNotice(data);
  if (!notice) return null;
  return (
    <div role="status" data-testid="config-problems" className="mb-4 rounded-lg border border-warning/40 bg-warning/10 p-3 text-sm">
      <p className="font-medium">{notice.title}</p>
      <ul className="mt-1 list-disc pl-5 text-muted-foreground">
        {notice.lines.map((line) => (
          <li key={line} className="break-words">
            {line}
          </li>
        ))}
      </ul>
      {data?.path && <p className="mt-1 text-xs text-muted-foreground">Fix {data.path} and restart the studio.</p>}
    </div>
  );
}

export function ModelsPage() {
  const { data: models, error, isLoading } = useModels();
  const [params, setParams] = useSearchParams();
  const [query, setQuery] = useState("");
  const shown = useMemo(() => (models ?? []).filter((m) => matchesSearch(m, query)), [models, query]);
  const tab = params.get("tab") === "civitai" ? "civitai" : "local";
  const tabs = (
    <Tabs
      label="Model source"
      value={tab}
      onChange={(v) => setParams(v === "civitai" ? { tab: v } : {})}
      items={[
        { value: "local", label: "Catalogue" },
        { value: "civitai", label: "Civitai" },
      ]}
    />
  );
  if (tab === "civitai")
    return (
      <div>
        <PageHeader title="Models">{tabs}</PageHeader>
        <CivitaiBrowser />
      </div>
    );
  return (
    <div>
      <PageHeader title="Models">{tabs}</PageHeader>
      <ConfigProblemsNotice />
      <ErrorText error={error} />
      {/* Kept in view while the long list scrolls: search and "Add a model" are always one move away. */}
      <div className="sticky -top-4 z-10 -mx-1 mb-3 md:-top-6 flex items-center gap-2 bg-background px-1 py-2" data-testid="models-toolbar">
        <div className="relative min-w-0 flex-1 sm:max-w-sm">
          <Search className="pointer-events-none absolute left-2.5 top-1/2 h-4 w-4 -translate-y-1/2 text-muted-foreground" aria-hidden />
          <Input
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Name, id or family"
            aria-label="Search models"
            className="pl-8"
            data-testid="model-search"
          />
        </div>
        {query && (
          <span className="shrink-0 text-xs text-muted-foreground" role="status" data-testid="model-search-count">
            {shown.length} of {models?.length ?? 0}
          </span>
        )}
        <div className="ml-auto shrink-0">
          <AddModelDialog />
        </div>
      </div>
      {models === null && <Empty>The model catalogue is not available on this server yet.</Empty>}
      {!isLoading && models?.length === 0 && <Empty>No models in the catalogue.</Empty>}
      {query && models?.length !== 0 && shown.length === 0 && <Empty>No model matches “{query}”.</Empty>}
      <div className="space-y-6">
        {groupByCategory(shown).map(([cat, list]) => (
          <section key={cat} aria-labelledby={`cat-${cat}`}>
            <h2 id={`cat-${cat}`} className="mb-2 text-sm font-semibold text-muted-foreground" data-testid="model-group">
              {categoryLabel(cat)}
            </h2>
            {cat === "legacy" && (
              <p className="-mt-1 mb-2 text-xs text-muted-foreground">Older families, kept working: newer ones above are usually better and faster.</p>
            )}
            <ul className="grid gap-3 md:grid-cols-2 xl:grid-cols-3">
              {list.map((m) => (
                <li key={m.id}>
                  <Card className="flex h-full flex-col gap-2 p-4" data-testid="model-card" data-model-id={m.id}>
                    <div className="flex items-start justify-between gap-2">
                      <Link to={`/models/${m.id}`} className="font-medium hover:underline">
                        {m.name}
                      </Link>
                      <CacheBadge model={m} />
                    </div>
                    <p className="line-clamp-2 text-xs text-muted-foreground">{m.description || m.path}</p>
                    <div className="flex flex-wrap gap-1 text-[11px] text-muted-foreground">
                      <Badge title={`family id: ${m.type}`}>{m.family ?? m.type}</Badge>
                      {m.size_gb ? (
                        <Badge>
                          <HardDrive className="mr-1 h-3 w-3" />
                          {formatGb(m.size_gb)}
                        </Badge>
                      ) : null}
                      {m.memory_gb ? <Badge>~{formatGb(m.memory_gb)} memory</Badge> : null}
                      {m.gated && <Badge tone="warning">gated</Badge>}
                    </div>
                    <div className="mt-auto">
                      <ModelActions model={m} />
                    </div>
                  </Card>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
      <div className="mt-8">
        <ModelFoldersPanel />
      </div>
    </div>
  );
}
