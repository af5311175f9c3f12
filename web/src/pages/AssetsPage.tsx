import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Film, Search } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { fetchers, qk } from "@/api/queries";
import type { Asset } from "@/api/types";
import { Input, Select } from "@/components/ui/input";
import { Empty, ErrorText, PageHeader } from "@/components/ui/misc";
import { Tabs } from "@/components/ui/tabs";

const PAGE = 40;

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function AssetsPage() {
  const [params, setParams] = useSearchParams();
  const tab = params.get("tab") ?? "all";
  const model = params.get("model") ?? "";
  const [search, setSearch] = useState(params.get("q") ?? "");
  const q = useDebounced(search.trim(), 300);
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
  const filters = { kind: tab === "all" ? undefined : tab === "videos" ? "video" : "image", model: model || undefined, search: q || undefined };
  const query = useInfiniteQuery({
    queryKey: qk.assets({ ...filters, infinite: true }),
    queryFn: ({ pageParam }) => fetchers.assets({ ...filters, limit: PAGE, offset: pageParam }),
    initialPageParam: 0,
    getNextPageParam: (last) => (last.offset + last.items.length < last.total ? last.offset + last.items.length : undefined),
  });
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const total = query.data?.pages[0]?.total ?? 0;

  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage) return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
      },
      { rootMargin: "600px" },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <div>
      <PageHeader title="Assets">
        <span className="text-xs text-muted-foreground" data-testid="asset-total">
          {total} {total === 1 ? "item" : "items"}
        </span>
      </PageHeader>
      <div className="mb-4 flex flex-wrap items-center gap-3">
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
        <Select aria-label="Filter by model" value={model} onChange={(e) => update("model", e.target.value)} className="w-48" data-testid="asset-model-filter">
          <option value="">Every model</option>
          {models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </Select>
        <div className="relative w-64">
          <Search className="pointer-events-none absolute left-2 top-2.5 h-4 w-4 text-muted-foreground" aria-hidden />
          <Input aria-label="Search prompts" placeholder="Search prompts" value={search} onChange={(e) => setSearch(e.target.value)} className="pl-8" data-testid="asset-search" />
        </div>
      </div>
      <ErrorText error={query.error} />
      {query.isSuccess && items.length === 0 && <Empty>Nothing here yet{q ? ` matching “${q}”` : ""}.</Empty>}
      <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 md:grid-cols-4 xl:grid-cols-6" data-testid="asset-grid">
        {items.map((a) => (
          <li key={a.id}>
            <AssetTile asset={a} />
          </li>
        ))}
      </ul>
      <div ref={sentinel} className="h-10" />
      {isFetchingNextPage && <p className="text-center text-xs text-muted-foreground">Loading more…</p>}
    </div>
  );
}

export function AssetTile({ asset }: { asset: Asset }) {
  const video = useRef<HTMLVideoElement>(null);
  const isVideo = asset.kind === "video";
  return (
    <Link
      to={`/assets/${asset.id}`}
      className="group relative block overflow-hidden rounded-lg border border-border bg-muted"
      data-testid="asset-tile"
      data-asset-id={asset.id}
      title={asset.prompt ?? undefined}
      onMouseEnter={() => void video.current?.play().catch(() => {})}
      onMouseLeave={() => {
        if (video.current) {
          video.current.pause();
          video.current.currentTime = 0;
        }
      }}
    >
      {isVideo ? (
        <>
          <video
            ref={video}
            src={asset.url}
            poster={asset.thumbnail_url ?? undefined}
            muted
            loop
            playsInline
            preload="metadata"
            className="aspect-square w-full object-cover"
            aria-label={asset.prompt ?? "Video"}
          />
          <Film className="absolute right-1.5 top-1.5 h-4 w-4 text-white drop-shadow" aria-hidden />
        </>
      ) : (
        <img src={asset.thumbnail_url ?? asset.url} alt={asset.prompt ?? "Image"} loading="lazy" className="aspect-square w-full object-cover" />
      )}
      <div className="absolute inset-x-0 bottom-0 truncate bg-gradient-to-t from-black/70 to-transparent px-2 pb-1 pt-4 text-[11px] text-white opacity-0 transition-opacity group-hover:opacity-100">
        {asset.model} · {asset.width}×{asset.height}
      </div>
    </Link>
  );
}
