/** One Civitai model: its versions, files, trigger words and previews, with a download button. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, Download } from "lucide-react";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiError } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/misc";
import { formatBytes } from "@/lib/utils";
import { ACTIVE, civitai, civitaiKeys, type CivitaiVersion } from "./api";
import { CivitaiLoading, CivitaiProblem, DownloadProgressLine, PreviewImage, civitaiRetry } from "./CivitaiBrowser";

function VersionCard({ version }: { version: CivitaiVersion }) {
  const qc = useQueryClient();
  const [err, setErr] = useState<string | null>(null);
  const downloads = useQuery({
    queryKey: civitaiKeys.downloads,
    queryFn: civitai.downloads,
    refetchInterval: (q) => (q.state.data?.some((d) => ACTIVE.includes(d.status)) ? 1500 : false),
  });
  const mine = downloads.data?.find((d) => d.version_id === version.id && (d.file_id == null || version.files.some((f) => f.id === d.file_id && f.primary)));
  const start = useMutation({
    mutationFn: () => civitai.startDownload(version.id),
    onSuccess: () => (setErr(null), qc.invalidateQueries({ queryKey: civitaiKeys.downloads })),
    onError: (e) => setErr(e instanceof ApiError ? e.detail : String(e)),
  });
  const primary = version.files.find((f) => f.primary) ?? version.files[0];
  const active = mine && ACTIVE.includes(mine.status);
  return (
    <Card className="space-y-3 p-4" data-testid="civitai-version" data-version-id={version.id}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-medium">
          {version.name} {version.base_model && <Badge>{version.base_model}</Badge>}
        </h2>
        {mine?.status === "completed" ? (
          <Badge tone="success">downloaded</Badge>
        ) : (
          !active && (
            <Button size="sm" onClick={() => start.mutate()} disabled={start.isPending || !primary} data-testid="civitai-download-button">
              <Download className="h-3.5 w-3.5" /> Download {primary?.size_bytes ? `(${formatBytes(primary.size_bytes)})` : ""}
            </Button>
          )
        )}
      </div>
      {active && mine && <DownloadProgressLine download={mine} />}
      {(err || (mine?.status === "failed" && mine.error)) && (
        <p role="alert" className="text-xs text-destructive">
          {err || mine?.error}
        </p>
      )}
      {version.trained_words.length > 0 && (
        <p className="text-xs">
          Trigger words:{" "}
          {version.trained_words.map((w) => (
            <code key={w} className="mr-1 rounded bg-muted px-1">
              {w}
            </code>
          ))}
        </p>
      )}
      <ul className="text-xs text-muted-foreground">
        {version.files.map((f) => (
          <li key={f.id}>
            {f.name} · {f.type} · {formatBytes(f.size_bytes)}
            {f.format ? ` · ${f.format}` : ""}
            {f.fp ? ` · ${f.fp}` : ""}
          </li>
        ))}
      </ul>
      {version.images.length > 0 && (
        <div className="grid grid-cols-3 gap-2 md:grid-cols-6">
          {version.images.slice(0, 6).map((img) => (
            <PreviewImage key={img.url} preview={img} className="aspect-[3/4]" />
          ))}
        </div>
      )}
    </Card>
  );
}

export function CivitaiModelPage() {
  const { civitaiId = "" } = useParams();
  const [nsfw, setNsfw] = useState(false);
  const { data: model, error, isFetching, refetch } = useQuery({
    queryKey: civitaiKeys.model(civitaiId, nsfw),
    queryFn: () => civitai.model(civitaiId, nsfw),
    retry: civitaiRetry,
  });
  return (
    <div className="space-y-4">
      <Link to="/models?tab=civitai" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:underline">
        <ArrowLeft className="h-4 w-4" /> Civitai
      </Link>
      {isFetching && !model && <CivitaiLoading what="Loading the model from Civitai…" />}
      {!!error && !isFetching && !model && <CivitaiProblem error={error} onRetry={() => void refetch()} />}
      {model && (
        <>
          <PageHeader title={model.name}>
            <label className="flex items-center gap-1 text-sm text-muted-foreground">
              <input type="checkbox" checked={nsfw} onChange={(e) => setNsfw(e.target.checked)} /> Show NSFW previews (blurred)
            </label>
          </PageHeader>
          <div className="flex flex-wrap gap-2 text-xs text-muted-foreground">
            <Badge>{model.type}</Badge>
            {model.creator.username && <span>by {model.creator.username}</span>}
            <span>{model.stats.downloads.toLocaleString()} downloads</span>
            <span>{model.stats.thumbs_up.toLocaleString()} likes</span>
            {model.tags.slice(0, 8).map((t) => (
              <Badge key={t}>{t}</Badge>
            ))}
          </div>
          <div className="space-y-3">
            {model.versions.map((v) => (
              <VersionCard key={v.id} version={v} />
            ))}
          </div>
        </>
      )}
    </div>
  );
}
