import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowUpToLine, RotateCcw, X } from "lucide-react";
import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { ApiError } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { Job, JobStatus } from "@/api/types";
import { mergeJob } from "@/live/jobsReducer";
import { useLive } from "@/live/store";
import { formatSeconds, relativeTime } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/input";
import { Card, Empty, ErrorText, PageHeader, ProgressBar } from "@/components/ui/misc";
import { StatusBadge, jobTitle } from "@/components/jobs";

const FILTERS: { value: string; label: string; status?: JobStatus[] }[] = [
  { value: "all", label: "All" },
  { value: "active", label: "Active", status: ["queued", "running"] },
  { value: "completed", label: "Completed", status: ["completed"] },
  { value: "failed", label: "Failed", status: ["failed"] },
  { value: "cancelled", label: "Cancelled", status: ["cancelled"] },
];

export function useJobActions() {
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const opts = {
    onError: (e: unknown) => setError(e instanceof ApiError ? e.detail : String(e)),
    onSuccess: (job: Job) => {
      setError(null);
      qc.setQueryData(qk.job(job.id), job);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: ["jobs"] }),
  };
  return {
    error,
    cancel: useMutation({ mutationFn: fetchers.cancelJob, ...opts }),
    retry: useMutation({ mutationFn: fetchers.retryJob, ...opts }),
    front: useMutation({ mutationFn: fetchers.moveToFront, ...opts }),
  };
}

export function QueuePage() {
  const [filter, setFilter] = useState("all");
  const [kind, setKind] = useState("");
  const live = useLive((s) => s.jobs);
  const f = FILTERS.find((x) => x.value === filter)!;
  const { data, error, isLoading } = useQuery({
    queryKey: qk.jobs({ view: "queue", status: f.status, kind }),
    queryFn: () => fetchers.jobs({ status: f.status, kind: kind || undefined, limit: 200 }),
    placeholderData: keepPreviousData,
  });
  const actions = useJobActions();
  const jobs = useMemo(() => (data?.items ?? []).map((j) => mergeJob(j, live[j.id])), [data, live]);
  const kinds = useQuery({ queryKey: qk.jobKinds, queryFn: fetchers.jobKinds, staleTime: Infinity }).data ?? [];

  return (
    <div>
      <PageHeader title="Queue">
        <Select aria-label="Job kind" value={kind} onChange={(e) => setKind(e.target.value)} className="w-44">
          <option value="">Every kind</option>
          {kinds.map((k) => (
            <option key={k.name} value={k.name}>
              {k.label}
            </option>
          ))}
        </Select>
        <Select aria-label="Status filter" value={filter} onChange={(e) => setFilter(e.target.value)} className="w-36">
          {FILTERS.map((x) => (
            <option key={x.value} value={x.value}>
              {x.label}
            </option>
          ))}
        </Select>
      </PageHeader>
      <ErrorText error={error} />
      {actions.error && (
        <p role="alert" className="mb-3 text-sm text-destructive">
          {actions.error}
        </p>
      )}
      {!isLoading && jobs.length === 0 && <Empty>No jobs here yet.</Empty>}
      <ul className="space-y-2" data-testid="queue-list">
        {jobs.map((j) => (
          <li key={j.id}>
            <QueueRow job={j} actions={actions} />
          </li>
        ))}
      </ul>
      {data && data.total > jobs.length && (
        <p className="mt-3 text-xs text-muted-foreground">Showing the newest {jobs.length} of {data.total} jobs.</p>
      )}
    </div>
  );
}

function QueueRow({ job, actions }: { job: Job; actions: ReturnType<typeof useJobActions> }) {
  const preview = useLive((s) => s.previews[job.id]);
  // A video job shows its poster (the WebP thumbnail of its first frame), never the MP4 itself.
  const media = job.images?.[0] ?? job.videos?.[0];
  const thumb = media?.thumbnail_url ?? job.images?.[0]?.url ?? (job.status === "running" ? preview?.image : undefined);
  return (
    <Card className="flex flex-wrap items-center gap-3 p-3 sm:flex-nowrap" data-testid="queue-row" data-job-id={job.id} data-status={job.status}>
      <div className="h-12 w-12 shrink-0 overflow-hidden rounded bg-muted">{thumb && <img src={thumb} alt="" className="h-full w-full object-cover" data-testid="queue-thumb" />}</div>
      <div className="min-w-0 flex-1">
        <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-0.5">
          <Link to={`/queue/${job.id}`} className="min-w-0 max-w-full truncate text-sm font-medium hover:underline">
            {jobTitle(job)}
          </Link>
          <StatusBadge status={job.status} />
          <span className="text-xs text-muted-foreground" data-testid="job-kind">
            {job.kind_label}
          </span>
        </div>
        <div className="mt-0.5 text-xs text-muted-foreground">
          {job.status === "queued" && job.queue_position ? (
            <span data-testid="queue-position">{`#${job.queue_position} in queue · `}</span>
          ) : (
            ""
          )}
          {job.status === "running" && (
            <>
              <span>{job.stage_label}</span>
              {job.total_steps ? ` · ${job.step}/${job.total_steps}` : ""}
              {job.eta_seconds != null ? ` · ETA ${formatSeconds(job.eta_seconds)}` : ""}
              {" · "}
            </>
          )}
          {relativeTime(job.created_at)}
          {job.params?.model ? ` · ${String(job.params.model)}` : ""}
        </div>
        {job.status === "running" && <ProgressBar value={job.progress} className="mt-1 h-1.5" label="Progress" />}
        {job.error && (
          <p className="mt-1 truncate text-xs text-destructive" title={job.error} data-testid="job-error">
            {job.error}
          </p>
        )}
      </div>
      <div className="flex shrink-0 gap-1 max-sm:w-full max-sm:justify-end">
        {job.status === "queued" && (
          <Button size="sm" variant="outline" onClick={() => actions.front.mutate(job.id)} aria-label="Move to front">
            <ArrowUpToLine className="h-3.5 w-3.5" /> Front
          </Button>
        )}
        {(job.status === "queued" || job.status === "running") && (
          <Button
            size="sm"
            variant="outline"
            data-testid="cancel-job"
            disabled={job.cancel_requested}
            onClick={() => actions.cancel.mutate(job.id)}
            aria-label="Cancel job"
          >
            <X className="h-3.5 w-3.5" /> {job.cancel_requested ? "Cancelling…" : "Cancel"}
          </Button>
        )}
        {(job.status === "failed" || job.status === "cancelled") && (
          <Button size="sm" variant="outline" data-testid="retry-job" onClick={() => actions.retry.mutate(job.id)} aria-label="Retry job">
            <RotateCcw className="h-3.5 w-3.5" /> Retry
          </Button>
        )}
      </div>
    </Card>
  );
}
