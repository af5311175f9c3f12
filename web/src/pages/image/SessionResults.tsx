/** The session's work beside the form: the stage (live preview, then the result, large), what failed or
 * was cancelled (until put away or a later job succeeds), the jobs still running and every result. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { fetchers, qk } from "@/api/queries";
import { isActive, type Asset, type Job } from "@/api/types";
import { Brush } from "lucide-react";
import { useLive } from "@/live/store";
import { cn } from "@/lib/utils";
import { ErrorAlert } from "@/components/ui/misc";
import { JobProgress } from "@/components/JobProgress";
import { jobTitle } from "@/components/jobs";
import { ASSET_DRAG_TYPE } from "./ReferenceImages";
import { ResultStage, type CompareTarget } from "./ResultStage";
import { outpaintFrame, uploadedSource } from "./compareSource";

export function SessionResults({ sessionId, onSendToCanvas }: { sessionId: string | null; onSendToCanvas?: (a: Asset) => void }) {
  const qc = useQueryClient();
  const liveJobs = useLive((s) => s.jobs);
  const { data: jobsPage } = useQuery({
    queryKey: qk.jobs({ session_id: sessionId, recent: true }),
    queryFn: () => fetchers.jobs({ session_id: sessionId!, limit: 20 }),
    enabled: !!sessionId,
  });
  const { data: assets } = useQuery({
    queryKey: qk.assets({ session_id: sessionId }),
    queryFn: () => fetchers.assets({ session_id: sessionId!, limit: 200 }),
    enabled: !!sessionId,
  });
  const cancel = useMutation({
    mutationFn: fetchers.cancelJob,
    onSettled: () => qc.invalidateQueries({ queryKey: ["jobs"] }),
  });
  const jobs = useMemo(() => {
    const byId = new Map<string, Job>();
    for (const j of jobsPage?.items ?? []) byId.set(j.id, j);
    for (const j of Object.values(liveJobs)) if (j.session_id === sessionId && sessionId) byId.set(j.id, { ...byId.get(j.id), ...j });
    return [...byId.values()].sort((a, b) => b.created_at - a.created_at);
  }, [jobsPage, liveJobs, sessionId]);
  const active = jobs.filter((j) => isActive(j.status));
  // The stage follows the newest job that samples (else the newest queued one).
  const stageJob = active.find((j) => j.status === "running") ?? active[0] ?? null;

  const [dismissed, dismiss] = useDismissed();
  // A failure or a cancel is news until it is put away or a later job of the session succeeds.
  const lastSuccess = Math.max(0, ...jobs.filter((j) => j.status === "completed").map((j) => j.created_at));
  const ended = jobs
    .filter((j) => (j.status === "failed" || j.status === "cancelled") && j.created_at > lastSuccess && !dismissed.has(j.id))
    .slice(0, 3);

  const items = useMemo(() => assets?.items ?? [], [assets]);
  const [selected, setSelected] = useState<string | null>(null); // null: follow the newest
  useEffect(() => setSelected(null), [stageJob?.id, sessionId]);
  const found = selected ? items.findIndex((a) => a.id === selected) : -1;
  const index = found >= 0 ? found : 0;
  const asset = items[index] ?? null;
  const onStep = useCallback(
    (delta: number) => {
      const next = Math.min(Math.max(index + delta, 0), items.length - 1);
      if (items[next]) setSelected(items[next].id);
    },
    [index, items],
  );
  const compareWith = useMemo<CompareTarget | null>(() => {
    const job = jobs.find((j) => j.id === asset?.job_id);
    const source = job?.source_image_urls?.[0] ?? uploadedSource(job);
    if (source && asset) return { url: source, label: "the source image", frame: outpaintFrame(job, asset) };
    const older = items[index + 1];
    return older ? { url: older.url, label: "the previous result" } : null;
  }, [jobs, asset, items, index]);

  if (!sessionId) return <ResultStage running={null} asset={null} index={0} count={0} onStep={() => {}} compareWith={null} />;
  return (
    <section aria-label="Results" className="flex flex-col gap-3 xl:h-full xl:min-h-0">
      <ResultStage running={selected ? null : stageJob} asset={asset} index={index} count={items.length} onStep={onStep} compareWith={compareWith} onSendToCanvas={onSendToCanvas} />
      {ended.map((j) =>
        j.status === "failed" ? (
          <ErrorAlert key={j.id} testId="failed-job" onDismiss={() => dismiss(j.id)}>
            {j.error ?? "The job failed."}{" "}
            <Link to={`/queue/${j.id}`} className="font-medium underline">
              Details
            </Link>
          </ErrorAlert>
        ) : (
          <div key={j.id} role="status" data-testid="cancelled-job" className="flex items-center gap-2 rounded-md border border-border bg-muted px-3 py-2 text-sm text-muted-foreground">
            <span className="min-w-0 flex-1 truncate">Cancelled: {jobTitle(j)}</span>
            <button type="button" className="text-xs underline" onClick={() => dismiss(j.id)}>
              Dismiss
            </button>
          </div>
        ),
      )}
      {active.length > 0 && (
        <div className="shrink-0 space-y-2" data-testid="running-jobs">
          {active.map((j) => (
            <JobProgress key={j.id} job={j} onCancel={(id) => cancel.mutate(id)} />
          ))}
        </div>
      )}
      <ul className="grid shrink-0 grid-cols-4 gap-2 sm:grid-cols-6 xl:max-h-36 xl:overflow-y-auto 2xl:grid-cols-8" data-testid="results-grid" aria-label="Results of this session">
        {items.map((a, i) => (
          <li key={a.id} className="relative">
            <button
              type="button"
              draggable
              onDragStart={(e) => e.dataTransfer.setData(ASSET_DRAG_TYPE, JSON.stringify({ id: a.id, url: a.thumbnail_url ?? a.url, full: a.url, width: a.width, height: a.height }))}
              onClick={() => setSelected(a.id)}
              aria-label={`Show result ${i + 1}`}
              aria-current={i === index && !(stageJob && !selected) ? "true" : undefined}
              className={cn("block w-full overflow-hidden rounded-md border-2 bg-muted", i === index ? "border-primary" : "border-transparent")}
              title={a.prompt ?? undefined}
            >
              <img src={a.thumbnail_url ?? a.url} alt={a.prompt ?? "Generated image"} loading="lazy" className="aspect-square w-full object-cover" data-testid="result-image" />
            </button>
            {onSendToCanvas && (
              <button
                type="button"
                aria-label={`Send result ${i + 1} to the canvas`}
                title="Send to canvas"
                data-testid="result-to-canvas"
                onClick={() => onSendToCanvas(a)}
                className="absolute bottom-1 right-1 rounded bg-black/60 p-1 text-white hover:bg-black/80"
              >
                <Brush className="h-3.5 w-3.5" />
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

const DISMISSED_KEY = "hollywool.dismissedFailures";

/** Failed or cancelled jobs whose notice the user put away (kept across reloads, the newest 100). */
function useDismissed(): [Set<string>, (id: string) => void] {
  const [ids, setIds] = useState<string[]>(() => {
    try {
      const stored: unknown = JSON.parse(localStorage.getItem(DISMISSED_KEY) ?? "[]");
      return Array.isArray(stored) ? stored.filter((x): x is string => typeof x === "string") : [];
    } catch {
      return [];
    }
  });
  const set = useMemo(() => new Set(ids), [ids]);
  const dismiss = (id: string) =>
    setIds((prev) => {
      const next = [...prev.filter((x) => x !== id), id].slice(-100);
      localStorage.setItem(DISMISSED_KEY, JSON.stringify(next));
      return next;
    });
  return [set, dismiss];
}
