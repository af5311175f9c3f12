import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, Brush, Copy, Download, ImagePlus, Maximize2, Star, Trash2, Wand2 } from "lucide-react";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { Asset } from "@/api/types";
import { cn, formatBytes, formatTime } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Card, ErrorText } from "@/components/ui/misc";
import { UpscaleAction } from "@/pages/video/UpscaleAction";

/** Everything needed to re-run: the recorded params, with the asset's own columns filled in. */
export function settingsOf(asset: Asset, recorded: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return {
    prompt: asset.prompt,
    negative_prompt: asset.negative_prompt,
    model: asset.model,
    width: asset.width,
    height: asset.height,
    seed: asset.seed,
    ...asset.params,
    ...(recorded ?? {}),
  };
}

export function AssetDetailPage() {
  const { assetId = "" } = useParams();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { data: asset, error } = useQuery({ queryKey: qk.asset(assetId), queryFn: () => fetchers.asset(assetId) });
  const { data: recorded } = useQuery({ queryKey: qk.assetParams(assetId), queryFn: () => fetchers.assetParams(assetId), enabled: !!asset });
  const [full, setFull] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: () => fetchers.deleteAsset(assetId),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["assets"] });
      void qc.invalidateQueries({ queryKey: qk.sessions });
      qc.removeQueries({ queryKey: qk.asset(assetId) });
      navigate("/assets");
    },
  });

  const favorite = useMutation({
    mutationFn: (on: boolean) => fetchers.setFavorite(assetId, on),
    onSuccess: (updated) => {
      qc.setQueryData(qk.asset(assetId), updated);
      void qc.invalidateQueries({ queryKey: ["assets"] });
    },
  });

  if (error) return <ErrorText error={error instanceof ApiError && error.status === 404 ? new Error("This asset no longer exists.") : error} />;
  if (!asset) return <p className="text-sm text-muted-foreground">Loading…</p>;
  const settings = settingsOf(asset, recorded);
  const isVideo = asset.kind === "video";
  const filename = asset.path.split("/").pop() ?? `${asset.id}`;

  async function copyParams() {
    const text = JSON.stringify(settings, null, 2);
    try {
      await navigator.clipboard.writeText(text);
      setCopied("Parameters copied");
    } catch {
      setCopied("Copy failed: select the parameters below instead");
    }
  }

  const media = isVideo ? (
    <video src={asset.url} controls loop className="max-h-full max-w-full" poster={asset.thumbnail_url ?? undefined} />
  ) : (
    <img src={asset.url} alt={asset.prompt ?? "Image"} className="max-h-full max-w-full object-contain" data-testid="asset-image" />
  );

  return (
    <div className="space-y-4">
      <Link to="/assets" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:underline">
        <ArrowLeft className="h-4 w-4" /> Assets
      </Link>
      <div className="grid gap-4 lg:grid-cols-[1fr_380px]">
        <Card className="flex min-h-[50vh] items-center justify-center overflow-hidden bg-muted p-2">{media}</Card>
        <div className="space-y-3">
          <div className="flex flex-wrap gap-2">
            <Button
              size="sm"
              variant="outline"
              aria-pressed={asset.favorite}
              onClick={() => favorite.mutate(!asset.favorite)}
              disabled={favorite.isPending}
              data-testid="asset-detail-favorite"
            >
              <Star className={cn("h-3.5 w-3.5", asset.favorite && "fill-yellow-400 text-yellow-400")} aria-hidden />
              {asset.favorite ? "Favourite" : "Add to favourites"}
            </Button>
            <Button size="sm" variant="outline" onClick={() => setFull(true)} data-testid="fullscreen">
              <Maximize2 className="h-3.5 w-3.5" /> Full screen
            </Button>
            <Button size="sm" variant="outline" onClick={copyParams} data-testid="copy-params">
              <Copy className="h-3.5 w-3.5" /> Copy parameters
            </Button>
            {isVideo && (
              <Button size="sm" onClick={() => navigate("/video", { state: { useVideoSettings: settings } })} data-testid="use-settings">
                <Wand2 className="h-3.5 w-3.5" /> Use these settings
              </Button>
            )}
            {!isVideo && (
              <>
                <Button size="sm" onClick={() => navigate("/", { state: { useSettings: settings } })} data-testid="use-settings">
                  <Wand2 className="h-3.5 w-3.5" /> Use these settings
                </Button>
                <Button size="sm" variant="outline" onClick={() => navigate("/", { state: { referenceAsset: asset } })}>
                  <ImagePlus className="h-3.5 w-3.5" /> Use as reference
                </Button>
                <Button size="sm" variant="outline" onClick={() => navigate("/", { state: { canvasAsset: asset } })} data-testid="send-to-canvas">
                  <Brush className="h-3.5 w-3.5" /> Send to canvas
                </Button>
              </>
            )}
            <a
              href={asset.url}
              download={filename}
              className="inline-flex h-8 items-center gap-2 rounded-md border border-border px-3 text-xs font-medium hover:bg-muted"
              data-testid="download"
            >
              <Download className="h-3.5 w-3.5" /> Download
            </a>
            <UpscaleAction assetId={asset.id} />
            <Button size="sm" variant="destructive" onClick={() => setConfirmDelete(true)} data-testid="delete-asset">
              <Trash2 className="h-3.5 w-3.5" /> Delete
            </Button>
          </div>
          <ErrorText error={favorite.error} />
          {copied && (
            <p role="status" className="text-xs text-muted-foreground">
              {copied}
            </p>
          )}
          <Card className="p-4">
            <h2 className="mb-2 text-sm font-semibold">Prompt</h2>
            <p className="whitespace-pre-wrap text-sm" data-testid="asset-prompt">
              {asset.prompt ?? "–"}
            </p>
            {asset.negative_prompt && (
              <>
                <h3 className="mt-3 text-xs font-semibold text-muted-foreground">Negative</h3>
                <p className="whitespace-pre-wrap text-sm">{asset.negative_prompt}</p>
              </>
            )}
          </Card>
          <Card className="p-4">
            <h2 className="mb-2 text-sm font-semibold">Metadata</h2>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" data-testid="asset-metadata">
              <dt className="text-muted-foreground">Model</dt>
              <dd>{asset.model ?? "–"}</dd>
              <dt className="text-muted-foreground">Size</dt>
              <dd>
                {asset.width}×{asset.height} · {formatBytes(asset.size_bytes)}
              </dd>
              <dt className="text-muted-foreground">Seed</dt>
              <dd data-testid="asset-seed">{asset.seed ?? "–"}</dd>
              {isVideo && (
                <>
                  <dt className="text-muted-foreground">Duration</dt>
                  <dd>
                    {asset.duration?.toFixed(1)} s · {asset.fps} fps · {asset.frame_count} frames{asset.has_audio ? " · audio" : ""}
                  </dd>
                </>
              )}
              <dt className="text-muted-foreground">Created</dt>
              <dd>{formatTime(asset.created_at)}</dd>
              <dt className="text-muted-foreground">Type</dt>
              <dd>{asset.mime}</dd>
              {asset.job_id && (
                <>
                  <dt className="text-muted-foreground">Job</dt>
                  <dd>
                    <Link to={`/queue/${asset.job_id}`} className="text-primary hover:underline">
                      {asset.job_id.slice(0, 8)}
                    </Link>
                  </dd>
                </>
              )}
            </dl>
            <h3 className="mb-1 mt-3 text-xs font-semibold text-muted-foreground">All parameters</h3>
            <pre className="max-h-72 overflow-auto rounded bg-muted p-2 text-xs" data-testid="asset-params">
              {JSON.stringify(settings, null, 2)}
            </pre>
          </Card>
        </div>
      </div>
      {full && (
        <div
          role="dialog"
          aria-modal="true"
          aria-label="Full-screen view"
          data-testid="fullscreen-view"
          className="fixed inset-0 z-50 flex items-center justify-center bg-black/95 p-4"
          onClick={() => setFull(false)}
          onKeyDown={(e) => e.key === "Escape" && setFull(false)}
          tabIndex={-1}
          ref={(el) => el?.focus()}
        >
          <button type="button" className="absolute right-4 top-4 rounded bg-white/10 px-3 py-1 text-sm text-white" onClick={() => setFull(false)}>
            Close
          </button>
          {media}
        </div>
      )}
      <Dialog open={confirmDelete} onOpenChange={setConfirmDelete} title="Delete this asset?" description="The file is removed from the outputs folder. This cannot be undone.">
        {remove.error && <ErrorText error={remove.error} />}
        <div className="flex justify-end gap-2">
          <Button variant="outline" onClick={() => setConfirmDelete(false)}>
            Keep it
          </Button>
          <Button variant="destructive" onClick={() => remove.mutate()} disabled={remove.isPending} data-testid="confirm-delete">
            Delete
          </Button>
        </div>
      </Dialog>
    </div>
  );
}
