import { useQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { Link, useParams } from "react-router-dom";
import { fetchers, qk } from "@/api/queries";
import { mergeJob } from "@/live/jobsReducer";
import { useLive } from "@/live/store";
import { formatSeconds, formatTime } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { Card, ErrorText, PageHeader } from "@/components/ui/misc";
import { JobProgress } from "@/components/JobProgress";
import { StatusBadge, jobTitle } from "@/components/jobs";
import { useJobActions } from "./QueuePage";

/** Why a local model ran in its precision and placement (its memory plan), from the job's result. */
function memoryPlan(result: Record<string, unknown> | undefined): string | null {
  const plan = result?.memory_plan as { reason?: unknown } | null | undefined;
  return plan && typeof plan.reason === "string" ? plan.reason : null;
}

export function JobDetailPage() {
  const { jobId = "" } = useParams();
  const { data, error } = useQuery({ queryKey: qk.job(jobId), queryFn: () => fetchers.job(jobId) });
  const live = useLive((s) => s.jobs[jobId]);
  const actions = useJobActions();
  if (error) return <ErrorText error={error} />;
  if (!data) return <p className="text-sm text-muted-foreground">Loading…</p>;
  const job = mergeJob(data, live);
  const duration = job.started_at && job.finished_at ? job.finished_at - job.started_at : null;
  return (
    <div className="space-y-4">
      <Link to="/queue" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:underline">
        <ArrowLeft className="h-4 w-4" /> Queue
      </Link>
      <PageHeader title={jobTitle(job)}>
        <StatusBadge status={job.status} />
        {job.status === "queued" && (
          <Button size="sm" variant="outline" onClick={() => actions.front.mutate(job.id)}>
            Move to front
          </Button>
        )}
        {(job.status === "queued" || job.status === "running") && (
          <Button size="sm" variant="outline" onClick={() => actions.cancel.mutate(job.id)} data-testid="cancel-job">
            Cancel
          </Button>
        )}
        {(job.status === "failed" || job.status === "cancelled") && (
          <Button size="sm" variant="outline" onClick={() => actions.retry.mutate(job.id)} data-testid="retry-job">
            Retry
          </Button>
        )}
      </PageHeader>
      {actions.error && (
        <p role="alert" className="text-sm text-destructive">
          {actions.error}
        </p>
      )}
      {(job.status === "running" || job.status === "queued") && <JobProgress job={job} />}
      {job.error && (
        <Card className="border-destructive/40 p-3" role="alert">
          <h2 className="text-sm font-semibold text-destructive">Why it failed</h2>
          <p className="mt-1 text-sm text-destructive" data-testid="job-error">
            {job.error}
          </p>
          {job.error_detail && (
            <details className="mt-2 text-xs text-muted-foreground" data-testid="job-error-detail">
              <summary className="cursor-pointer">Details to report</summary>
              <pre className="mt-1 max-h-64 overflow-auto whitespace-pre-wrap">{job.error_detail}</pre>
            </details>
          )}
        </Card>
      )}
      <div className="grid gap-4 *:min-w-0 lg:grid-cols-2">
        <Card className="p-4">
          <h2 className="mb-2 text-sm font-semibold">Stages</h2>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" data-testid="job-stages">
            <dt className="text-muted-foreground">Kind</dt>
            <dd>{job.kind_label}</dd>
            <dt className="text-muted-foreground">Lane</dt>
            <dd>{job.lane ?? "–"}</dd>
            {job.ran_on && (
              <>
                <dt className="text-muted-foreground">Ran on</dt>
                <dd data-testid="job-ran-on">
                  {job.ran_on.host} · {job.ran_on.device} · worker {job.ran_on.worker_id}
                </dd>
              </>
            )}
            <dt className="text-muted-foreground">Stage</dt>
            <dd className="capitalize">
              {job.stage_label}
              {job.total_steps ? ` (${job.step}/${job.total_steps})` : ""}
            </dd>
            <dt className="text-muted-foreground">Queued</dt>
            <dd>{formatTime(job.created_at)}</dd>
            <dt className="text-muted-foreground">Started</dt>
            <dd>{formatTime(job.started_at)}</dd>
            <dt className="text-muted-foreground">Finished</dt>
            <dd>{formatTime(job.finished_at)}</dd>
            <dt className="text-muted-foreground">Duration</dt>
            <dd>{duration != null ? formatSeconds(duration) : "–"}</dd>
            <dt className="text-muted-foreground">Attempts</dt>
            <dd>{job.attempts ?? 0}</dd>
            {memoryPlan(job.result) && (
              <>
                <dt className="text-muted-foreground">Memory</dt>
                <dd data-testid="job-memory-plan">{memoryPlan(job.result)}</dd>
              </>
            )}
            {job.message && (
              <>
                <dt className="text-muted-foreground">Message</dt>
                <dd>{job.message}</dd>
              </>
            )}
            {job.session_id && (
              <>
                <dt className="text-muted-foreground">Session</dt>
                <dd>
                  <Link className="text-primary hover:underline" to={`/?session=${job.session_id}`}>
                    open
                  </Link>
                </dd>
              </>
            )}
          </dl>
        </Card>
        <Card className="p-4">
          <h2 className="mb-2 text-sm font-semibold">Parameters</h2>
          <pre className="max-h-80 overflow-auto rounded bg-muted p-2 text-xs" data-testid="job-params">
            {JSON.stringify(job.params, null, 2)}
          </pre>
        </Card>
      </div>
      {(job.images?.length ?? 0) + (job.videos?.length ?? 0) > 0 && (
        <Card className="p-4">
          <h2 className="mb-2 text-sm font-semibold">Results</h2>
          <ul className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            {job.images.map((m) => (
              <li key={m.id}>
                <Link to={`/assets/${m.id}`}>
                  <img src={m.thumbnail_url ?? m.url} alt={`Seed ${m.seed ?? ""}`} className="w-full rounded-md border border-border" />
                </Link>
              </li>
            ))}
            {job.videos.map((m) => (
              <li key={m.id}>
                <Link to={`/assets/${m.id}`}>
                  <video src={m.url} muted className="w-full rounded-md border border-border" />
                </Link>
              </li>
            ))}
          </ul>
        </Card>
      )}
    </div>
  );
}
