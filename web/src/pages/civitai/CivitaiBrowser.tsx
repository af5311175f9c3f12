/** The Civitai tab of the Models page: search with filters, result cards, the token, downloads. */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Download, Heart, KeyRound, Loader2, RotateCcw, X } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router-dom";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/input";
import { Badge, Card, Empty, ErrorText, ProgressBar } from "@/components/ui/misc";
import { ApiError } from "@/api/client";
import { useLive } from "@/live/store";
import { cn, formatBytes, formatSeconds } from "@/lib/utils";
import {
  ACTIVE,
  BASE_MODELS,
  MODEL_TYPES,
  PERIODS,
  SORTS,
  civitai,
  civitaiKeys,
  type CivitaiDownload,
  type CivitaiPreview,
  type SearchFilters,
} from "./api";

/** Civitai calls are not retried by the page: the server already tried and answered with what to do. */
export const civitaiRetry = (count: number, err: unknown) => !(err instanceof ApiError) && count < 1;

/** Shown at once while Civitai is asked: the server gives up after its timeout (HOLLYWOOL_CIVITAI_TIMEOUT). */
export function CivitaiLoading({ what }: { what: string }) {
  return (
    <p role="status" className="flex items-center gap-2 text-sm text-muted-foreground" data-testid="civitai-loading">
      <Loader2 className="h-4 w-4 animate-spin" aria-hidden /> {what}
    </p>
  );
}

/** Civitai could not answer: the server's sentence (it names the address and what to check) and a Retry button. */
export function CivitaiProblem({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const message =
    error instanceof ApiError || error instanceof Error ? error.message : "Civitai could not be reached; check your connection, then try again.";
  return (
    <div role="alert" className="flex flex-wrap items-center gap-3 rounded-md border border-destructive/30 bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="civitai-error">
      <p className="min-w-0 flex-1">{message}</p>
      <Button size="sm" variant="outline" onClick={onRetry} data-testid="civitai-retry">
        <RotateCcw className="h-3.5 w-3.5" /> Retry
      </Button>
    </div>
  );
}

/** A preview image; NSFW ones stay blurred until clicked. */
export function PreviewImage({ preview, className }: { preview: CivitaiPreview; className?: string }) {
  const [revealed, setRevealed] = useState(false);
  const hidden = preview.nsfw && !revealed;
  return (
    <button
      type="button"
      className={cn("relative block w-full overflow-hidden rounded-md bg-muted", className)}
      onClick={() => setRevealed(true)}
      aria-label={hidden ? "Show NSFW preview" : "Preview"}
    >
      {preview.type === "video" ? (
        <video src={preview.url} muted loop autoPlay className={cn("h-full w-full object-cover", hidden && "blur-xl")} />
      ) : (
        <img src={preview.url} alt="" loading="lazy" className={cn("h-full w-full object-cover", hidden && "blur-xl")} />
      )}
      {hidden && <span className="absolute inset-0 grid place-items-center text-xs font-medium text-white">NSFW · click to show</span>}
    </button>
  );
}

function useDownloads() {
  return useQuery({
    queryKey: civitaiKeys.downloads,
    queryFn: civitai.downloads,
    refetchInterval: (q) => (q.state.data?.some((d) => ACTIVE.includes(d.status)) ? 1500 : false),
  });
}

export function DownloadProgressLine({ download }: { download: CivitaiDownload }) {
  const live = useLive((s) => s.downloads[download.id]);
  const done = live?.downloaded_bytes ?? download.downloaded_bytes;
  const total = live?.total_bytes ?? download.total_bytes;
  const pct = total ? (100 * done) / total : download.progress;
  const eta = live?.eta_seconds ?? download.eta_seconds;
  const speed = live?.speed_bps ?? download.speed_bps;
  return (
    <div data-testid="civitai-download-progress">
      <div className="flex justify-between text-xs text-muted-foreground">
        <span>{download.status === "verifying" ? "Verifying SHA-256…" : download.status === "queued" ? "Queued…" : "Downloading…"}</span>
        <span>
          {formatBytes(done)} / {formatBytes(total)}
          {speed ? ` · ${formatBytes(speed)}/s` : ""}
          {eta != null ? ` · ${formatSeconds(eta)}` : ""}
        </span>
      </div>
      <ProgressBar value={pct} label={`Download of ${download.file_name}`} />
    </div>
  );
}

export function DownloadsList() {
  const qc = useQueryClient();
  const { data, error } = useDownloads();
  const remove = useMutation({
    mutationFn: civitai.removeDownload,
    onSettled: () => qc.invalidateQueries({ queryKey: civitaiKeys.downloads }),
  });
  const items = data ?? [];
  return (
    <section aria-labelledby="civitai-downloads" className="space-y-2">
      <h2 id="civitai-downloads" className="text-sm font-semibold text-muted-foreground">
        Downloads
      </h2>
      <ErrorText error={error} />
      {items.length === 0 && <p className="text-xs text-muted-foreground">Nothing downloaded from Civitai yet.</p>}
      <ul className="space-y-2">
        {items.map((d) => (
          <li key={d.id}>
            <Card className="space-y-1 p-3" data-testid="civitai-download" data-status={d.status}>
              <div className="flex items-center justify-between gap-2 text-sm">
                <span>
                  {d.model_id ? (
                    <Link to={`/civitai/models/${d.model_id}`} className="font-medium hover:underline">
                      {d.model_name}
                    </Link>
                  ) : (
                    d.model_name
                  )}{" "}
                  <span className="text-muted-foreground">
                    {d.version_name} · {d.file_name}
                  </span>
                </span>
                <span className="flex items-center gap-2">
                  <Badge tone={d.status === "completed" ? "success" : d.status === "failed" ? "warning" : undefined}>{d.status}</Badge>
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={ACTIVE.includes(d.status) ? "Cancel download" : "Remove download"}
                    onClick={() => (ACTIVE.includes(d.status) || confirm(`Delete ${d.file_name} from disk?`)) && remove.mutate(d.id)}
                  >
                    <X className="h-3.5 w-3.5" />
                  </Button>
                </span>
              </div>
              {ACTIVE.includes(d.status) && <DownloadProgressLine download={d} />}
              {d.error && (
                <p role="alert" className="text-xs text-destructive">
                  {d.error}
                </p>
              )}
            </Card>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function TokenForm() {
  const qc = useQueryClient();
  const { data } = useQuery({ queryKey: civitaiKeys.token, queryFn: civitai.token });
  const [value, setValue] = useState("");
  const save = useMutation({
    mutationFn: (token: string | null) => (token ? civitai.setToken(token) : civitai.clearToken()),
    onSuccess: (state) => {
      qc.setQueryData(civitaiKeys.token, state);
      setValue("");
    },
  });
  return (
    <form
      className="flex flex-wrap items-center gap-2 text-sm"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) save.mutate(value.trim());
      }}
    >
      <KeyRound className="h-4 w-4 text-muted-foreground" />
      <span className="text-muted-foreground">{data?.has_token ? "API token set" : "No API token (some files need one)"}</span>
      <Input
        type="password"
        autoComplete="off"
        placeholder="Civitai API token"
        aria-label="Civitai API token"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        className="w-56"
      />
      <Button size="sm" type="submit" disabled={!value.trim() || save.isPending}>
        Save
      </Button>
      {data?.has_token && (
        <Button size="sm" variant="outline" type="button" onClick={() => save.mutate(null)}>
          Clear
        </Button>
      )}
    </form>
  );
}

function MultiToggle({ options, value, onChange, label }: { options: readonly string[]; value: string[]; onChange: (v: string[]) => void; label: string }) {
  return (
    <div role="group" aria-label={label} className="flex flex-wrap gap-1">
      {options.map((o) => {
        const on = value.includes(o);
        return (
          <button
            key={o}
            type="button"
            aria-pressed={on}
            onClick={() => onChange(on ? value.filter((v) => v !== o) : [...value, o])}
            className={cn("rounded border px-2 py-0.5 text-xs", on ? "border-primary bg-primary/10 text-foreground" : "text-muted-foreground")}
          >
            {o}
          </button>
        );
      })}
    </div>
  );
}

export function CivitaiBrowser() {
  const [draft, setDraft] = useState("");
  const [filters, setFilters] = useState<SearchFilters>({ types: [], baseModels: [], sort: "Highest Rated", period: "AllTime", nsfw: false });
  const set = (change: Partial<SearchFilters>) => setFilters((f) => ({ ...f, ...change }));
  const search = useInfiniteQuery({
    queryKey: civitaiKeys.search(filters),
    queryFn: ({ pageParam }) => civitai.search(filters, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    retry: civitaiRetry,
  });
  const items = search.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="space-y-6">
      <TokenForm />
      <form
        className="space-y-2"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          set({ query: draft.trim() || undefined });
        }}
      >
        <div className="flex gap-2">
          <Input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Search Civitai" aria-label="Search Civitai" />
          <Button type="submit">Search</Button>
        </div>
        <MultiToggle label="Type" options={MODEL_TYPES} value={filters.types ?? []} onChange={(types) => set({ types })} />
        <MultiToggle label="Base model" options={BASE_MODELS} value={filters.baseModels ?? []} onChange={(baseModels) => set({ baseModels })} />
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <Select aria-label="Sort" value={filters.sort} onChange={(e) => set({ sort: e.target.value })} className="w-44">
            {SORTS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </Select>
          <Select aria-label="Period" value={filters.period} onChange={(e) => set({ period: e.target.value })} className="w-32">
            {PERIODS.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </Select>
          <label className="flex items-center gap-1 text-muted-foreground">
            <input type="checkbox" checked={!!filters.nsfw} onChange={(e) => set({ nsfw: e.target.checked })} /> Show NSFW (blurred)
          </label>
        </div>
      </form>
      {search.isFetching && !search.isFetchingNextPage && items.length === 0 && <CivitaiLoading what="Searching Civitai…" />}
      {!!search.error && !search.isFetching && <CivitaiProblem error={search.error} onRetry={() => void search.refetch()} />}
      {!search.isFetching && !search.error && items.length === 0 && <Empty>No models match.</Empty>}
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4">
        {items.map((m) => (
          <li key={m.id}>
            <Card className="flex h-full flex-col gap-2 p-3" data-testid="civitai-card">
              {m.preview && <PreviewImage preview={m.preview} className="aspect-[3/4]" />}
              <Link to={`/civitai/models/${m.id}`} className="font-medium hover:underline">
                {m.name}
              </Link>
              <div className="flex flex-wrap gap-1 text-[11px]">
                <Badge>{m.type}</Badge>
                {m.base_models.slice(0, 2).map((b) => (
                  <Badge key={b}>{b}</Badge>
                ))}
              </div>
              <div className="mt-auto flex gap-3 text-xs text-muted-foreground">
                <span>
                  <Download className="mr-1 inline h-3 w-3" />
                  {m.stats.downloads.toLocaleString()}
                </span>
                <span>
                  <Heart className="mr-1 inline h-3 w-3" />
                  {m.stats.thumbs_up.toLocaleString()}
                </span>
                {m.creator.username && <span>by {m.creator.username}</span>}
              </div>
            </Card>
          </li>
        ))}
      </ul>
      {search.hasNextPage && (
        <Button variant="outline" onClick={() => void search.fetchNextPage()} disabled={search.isFetchingNextPage}>
          Load more
        </Button>
      )}
      <DownloadsList />
    </div>
  );
}
