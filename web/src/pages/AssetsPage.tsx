import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { Brush, Check, Download, Film, ListChecks, Search, Star, Trash2, X } from "lucide-react";
import { useEffect, useMemo, useRef, useState, type MouseEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { fetchers, qk, type AssetFilters } from "@/api/queries";
import type { Asset, AssetPage } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Input, Select } from "@/components/ui/input";
import { Empty, ErrorText, PageHeader } from "@/components/ui/misc";
import { Tabs } from "@/components/ui/tabs";
import { useGridWindow } from "@/lib/gridWindow";
import { cn } from "@/lib/utils";

const PAGE = 60;
const GAP = 8;

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** `YYYY-MM-DD` (a date input, the browser's time zone) -> epoch seconds at that day's start; `nextDay` for an end. */
export function dayStart(day: string, nextDay = false): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d + (nextDay ? 1 : 0)).getTime() / 1000;
}

/** The URL's query string as the API's filters (the page's state lives in the URL: links and reloads keep it). */
export function filtersFrom(params: URLSearchParams, search: string): AssetFilters {
  const tab = params.get("tab");
  return {
    kind: tab === "videos" ? "video" : tab === "images" ? "image" : undefined,
    model: params.get("model") || undefined,
    session_id: params.get("session") || undefined,
    favorite: params.get("fav") === "1" ? true : undefined,
    created_after: dayStart(params.get("from") ?? ""),
    created_before: dayStart(params.get("to") ?? "", true),
    search: search || undefined,
  };
}

export function AssetsPage() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tab = params.get("tab") ?? "all";
  const [search, setSearch] = useState(params.get("q") ?? "");
  const q = useDebounced(search.trim(), 250);
  const update = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  useEffect(() => {
    if ((params.get("q") ?? "") !== q) update("q", q);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  const { data: models = [] } = useQuery({ queryKey: qk.assetModels, queryFn: fetchers.assetModels });
  const { data: imageSessions = [] } = useQuery({ queryKey: qk.sessions, queryFn: fetchers.sessions });
  const { data: videoSessions = [] } = useQuery({ queryKey: qk.videoSessions, queryFn: fetchers.videoSessions });
  const filters = useMemo(() => filtersFrom(params, q), [params, q]);
  const query = useInfiniteQuery({
    queryKey: qk.assets({ ...filters, grid: true }),
    queryFn: ({ pageParam }) =>
      fetchers.assets({ ...filters, limit: PAGE, compact: true, ...(pageParam ? { cursor: pageParam, include_total: false } : {}) }),
    initialPageParam: "",
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);
  const total = query.data?.pages[0]?.total ?? 0;

  // Selection: ids, kept across pages and filters until cleared or acted on.
  const [selecting, setSelecting] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const lastClicked = useRef<number | null>(null);
  const toggle = (index: number, range: boolean) => {
    setSelected((prev) => {
      const next = new Set(prev);
      const from = range && lastClicked.current !== null ? Math.min(lastClicked.current, index) : index;
      const to = range && lastClicked.current !== null ? Math.max(lastClicked.current, index) : index;
      const on = !prev.has(items[index].id);
      for (let i = from; i <= to; i++) {
        if (on) next.add(items[i].id);
        else next.delete(items[i].id);
      }
      return next;
    });
    lastClicked.current = index;
  };
  const clearSelection = () => {
    setSelected(new Set());
    setSelecting(false);
    lastClicked.current = null;
  };

  const patchAsset = (updated: Asset) =>
    qc.setQueriesData<InfiniteData<AssetPage>>({ queryKey: ["assets"] }, (data) =>
      data?.pages
        ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((a) => (a.id === updated.id ? { ...a, favorite: updated.favorite } : a)) })) }
        : data,
    );
  const favorite = useMutation({
    mutationFn: (a: Asset) => fetchers.setFavorite(a.id, !a.favorite),
    onSuccess: (updated) => {
      patchAsset(updated);
      qc.setQueryData(qk.asset(updated.id), updated);
    },
  });
  const [confirmDelete, setConfirmDelete] = useState(false);
  const remove = useMutation({
    mutationFn: () => fetchers.deleteAssets([...selected]),
    onSuccess: () => {
      setConfirmDelete(false);
      clearSelection();
      void qc.invalidateQueries({ queryKey: ["assets"] });
      void qc.invalidateQueries({ queryKey: qk.assetModels });
    },
  });
  const zip = useMutation({ mutationFn: () => fetchers.downloadAssets([...selected]) });

  const grid = useRef<HTMLDivElement>(null);
  // Two columns or more on a phone; larger tiles on a wide screen.
  const win = useGridWindow(grid, items.length, window.innerWidth < 640 ? 130 : 180, GAP);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && win.end >= items.length - win.columns * 3) void fetchNextPage();
  }, [win.end, win.columns, items.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const sessions = [...imageSessions.map((s) => ({ ...s, label: s.name })), ...videoSessions.map((s) => ({ ...s, label: `${s.name} (video)` }))];
  const anyFilter = Boolean(filters.kind || filters.model || filters.session_id || filters.favorite || params.get("from") || params.get("to") || q);

  return (
    <div>
      <PageHeader title="Assets">
        <span className="text-xs text-muted-foreground" data-testid="asset-total" aria-live="polite">
          {query.isSuccess ? `${total.toLocaleString()} ${total === 1 ? "item" : "items"}` : ""}
        </span>
      </PageHeader>
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <div className="relative w-full sm:w-72">
          <Search className="pointer-events-none absolute left-2 top-2.5 h-4 w-4 text-muted-foreground" aria-hidden />
          <Input
            type="search"
            aria-label="Search prompts, models, LoRAs and sessions"
            placeholder="Search prompts, models, LoRAs…"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            className="pl-8"
            data-testid="asset-search"
          />
        </div>
        <Tabs
          label="Asset kind"
          value={tab}
          onChange={(v) => update("tab", v === "all" ? "" : v)}
          items={[
            { value: "all", label: "All" },
            { value: "images", label: "Images" },
            { value: "videos", label: "Videos" },
          ]}
        />
        <Button
          size="sm"
          variant={filters.favorite ? "default" : "outline"}
          aria-pressed={Boolean(filters.favorite)}
          onClick={() => update("fav", filters.favorite ? "" : "1")}
          data-testid="asset-favorites-filter"
        >
          <Star className={cn("h-3.5 w-3.5", filters.favorite && "fill-current")} aria-hidden /> Favourites
        </Button>
        <Select aria-label="Filter by model" value={params.get("model") ?? ""} onChange={(e) => update("model", e.target.value)} className="w-40" data-testid="asset-model-filter">
          <option value="">Every model</option>
          {models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </Select>
        <Select aria-label="Filter by session" value={params.get("session") ?? ""} onChange={(e) => update("session", e.target.value)} className="w-40" data-testid="asset-session-filter">
          <option value="">Every session</option>
          {sessions.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label}
            </option>
          ))}
        </Select>
        <label className="flex items-center gap-1 text-xs text-muted-foreground">
          From
          <Input type="date" value={params.get("from") ?? ""} onChange={(e) => update("from", e.target.value)} className="h-8 w-36" data-testid="asset-date-from" />
        </label>
        <label className="flex items-center gap-1 text-xs text-muted-foreground">
          To
          <Input type="date" value={params.get("to") ?? ""} onChange={(e) => update("to", e.target.value)} className="h-8 w-36" data-testid="asset-date-to" />
        </label>
        <Button
          size="sm"
          variant={selecting ? "secondary" : "outline"}
          aria-pressed={selecting}
          onClick={() => (selecting ? clearSelection() : setSelecting(true))}
          data-testid="asset-select-mode"
        >
          <ListChecks className="h-3.5 w-3.5" aria-hidden /> {selecting ? "Done" : "Select"}
        </Button>
      </div>
      {(selecting || selected.size > 0) && (
        <div
          className="sticky top-0 z-10 mb-3 flex flex-wrap items-center gap-2 rounded-md border border-border bg-card px-3 py-2 shadow-sm"
          role="toolbar"
          aria-label="Selected assets"
          data-testid="selection-bar"
        >
          <span className="text-sm font-medium" data-testid="selection-count">
            {selected.size} selected
          </span>
          <Button size="sm" variant="ghost" onClick={() => setSelected(new Set(items.map((a) => a.id)))} disabled={!items.length}>
            Select all loaded
          </Button>
          <div className="ml-auto flex gap-2">
            <Button size="sm" variant="outline" disabled={!selected.size || zip.isPending} onClick={() => zip.mutate()} data-testid="selection-zip">
              <Download className="h-3.5 w-3.5" aria-hidden /> {zip.isPending ? "Preparing…" : "Download zip"}
            </Button>
            <Button size="sm" variant="destructive" disabled={!selected.size} onClick={() => setConfirmDelete(true)} data-testid="selection-delete">
              <Trash2 className="h-3.5 w-3.5" aria-hidden /> Delete
            </Button>
            <Button size="sm" variant="ghost" onClick={clearSelection} aria-label="Clear the selection">
              <X className="h-3.5 w-3.5" aria-hidden />
            </Button>
          </div>
          {zip.error && <ErrorText error={zip.error} />}
        </div>
      )}
      <ErrorText error={query.error ?? favorite.error} />
      {query.isSuccess && items.length === 0 && <Empty>{anyFilter ? "No assets match these filters." : "Nothing here yet: what you generate appears here."}</Empty>}
      <div ref={grid} className="relative w-full" style={{ height: win.height }} data-testid="asset-grid" role="list" aria-label="Assets">
        <div
          className="absolute inset-x-0 grid"
          style={{ top: win.offset, gridTemplateColumns: `repeat(${win.columns}, minmax(0, 1fr))`, gap: GAP }}
        >
          {items.slice(win.start, win.end).map((a, i) => (
            <div key={a.id} role="listitem" style={{ height: win.tile }}>
              <AssetTile
                asset={a}
                selecting={selecting}
                selected={selected.has(a.id)}
                onSelect={(range) => {
                  if (!selecting) setSelecting(true);
                  toggle(win.start + i, range);
                }}
                onOpen={() => navigate(`/assets/${a.id}`)}
                onFavorite={() => favorite.mutate(a)}
                onCanvas={a.kind === "image" ? () => navigate("/", { state: { canvasAsset: a } }) : undefined}
              />
            </div>
          ))}
        </div>
      </div>
      {isFetchingNextPage && <p className="py-2 text-center text-xs text-muted-foreground">Loading more…</p>}
      <Dialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title={`Delete ${selected.size} ${selected.size === 1 ? "asset" : "assets"}?`}
        description="Their files are removed from the outputs folder. This cannot be undone."
      >
        {remove.error && <ErrorText error={remove.error} />}
        <div className="flex justify-end gap-2">
          <Button variant="outline" onClick={() => setConfirmDelete(false)}>
            Keep them
          </Button>
          <Button variant="destructive" onClick={() => remove.mutate()} disabled={remove.isPending} data-testid="confirm-delete-selection">
            Delete
          </Button>
        </div>
      </Dialog>
    </div>
  );
}

export function AssetTile({
  asset,
  selecting = false,
  selected = false,
  onSelect,
  onOpen,
  onFavorite,
  onCanvas,
}: {
  asset: Asset;
  selecting?: boolean;
  selected?: boolean;
  onSelect?: (range: boolean) => void;
  onOpen?: () => void;
  onFavorite?: () => void;
  /** "Send to canvas": the Image page's canvas takes the picture as its source. */
  onCanvas?: () => void;
}) {
  const label = asset.prompt || (asset.kind === "video" ? "Video" : "Image");
  const click = (e: MouseEvent) => {
    if (selecting || e.shiftKey || e.ctrlKey || e.metaKey) {
      e.preventDefault();
      onSelect?.(e.shiftKey);
    } else if (onOpen) {
      e.preventDefault();
      onOpen();
    }
  };
  return (
    <div
      className={cn(
        "group relative h-full overflow-hidden rounded-lg border bg-muted",
        selected ? "border-primary ring-2 ring-primary" : "border-border",
      )}
      data-testid="asset-tile"
      data-asset-id={asset.id}
      data-selected={selected || undefined}
    >
      <Link to={`/assets/${asset.id}`} onClick={click} className="block h-full w-full" title={asset.prompt ?? undefined} aria-label={label}>
        <img
          src={asset.thumbnail_url ?? asset.url}
          alt={label}
          loading="lazy"
          decoding="async"
          draggable={false}
          className="h-full w-full object-cover"
          data-testid="asset-thumb"
        />
        {asset.kind === "video" && <Film className="absolute bottom-1.5 right-1.5 h-4 w-4 text-white drop-shadow" aria-label="Video" />}
        <div className="absolute inset-x-0 bottom-0 truncate bg-gradient-to-t from-black/70 to-transparent px-2 pb-1 pt-4 text-[11px] text-white opacity-0 transition-opacity group-hover:opacity-100">
          {asset.model} · {asset.width}×{asset.height}
        </div>
      </Link>
      {onSelect && (
        <button
          type="button"
          role="checkbox"
          aria-checked={selected}
          aria-label={`Select ${label}`}
          onClick={(e) => onSelect(e.shiftKey)}
          className={cn(
            "absolute left-1.5 top-1.5 flex h-6 w-6 items-center justify-center rounded border-2 border-white bg-black/30 text-white shadow transition-opacity",
            selected ? "bg-primary opacity-100" : selecting ? "opacity-100" : "opacity-0 focus-visible:opacity-100 group-hover:opacity-100",
          )}
          data-testid="asset-select"
        >
          {selected && <Check className="h-4 w-4" aria-hidden />}
        </button>
      )}
      {onFavorite && (
        <button
          type="button"
          aria-pressed={asset.favorite}
          aria-label={asset.favorite ? `Remove ${label} from favourites` : `Add ${label} to favourites`}
          onClick={onFavorite}
          className={cn(
            "absolute right-1.5 top-1.5 rounded-full bg-black/40 p-1 text-white transition-opacity",
            asset.favorite ? "opacity-100" : "opacity-70 hover:opacity-100 focus-visible:opacity-100",
          )}
          data-testid="asset-favorite"
        >
          <Star className={cn("h-4 w-4", asset.favorite && "fill-yellow-400 text-yellow-400")} aria-hidden />
        </button>
      )}
      {onCanvas && !selecting && (
        <button
          type="button"
          aria-label={`Send ${label} to the canvas`}
          title="Send to canvas"
          onClick={onCanvas}
          className="absolute bottom-1.5 right-1.5 rounded-full bg-black/40 p-1 text-white opacity-70 transition-opacity hover:opacity-100 focus-visible:opacity-100"
          data-testid="asset-to-canvas"
        >
          <Brush className="h-4 w-4" aria-hidden />
        </button>
      )}
    </div>
  );
}
