import { Link } from "react-router-dom";
import { X } from "lucide-react";
import type { Job } from "@/api/types";
import { useLive } from "@/live/store";
import { formatSeconds } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { Card, ProgressBar } from "@/components/ui/misc";
import { StatusBadge, jobTitle } from "./jobs";

/** A job in progress: stage, step count, ETA and the latest preview, all from live events. */
export function JobProgress({ job, onCancel }: { job: Job; onCancel?: (id: string) => void }) {
  const preview = useLive((s) => s.previews[job.id]);
  const live = useLive((s) => s.jobs[job.id]);
  const j = live && (live.updated_at ?? 0) >= (job.updated_at ?? 0) - 1 ? { ...job, ...live } : job;
  return (
    <Card className="flex gap-3 p-3" data-testid="job-progress" data-job-id={j.id}>
      <div className="h-16 w-16 shrink-0 overflow-hidden rounded-md bg-muted sm:h-24 sm:w-24">
        {preview ? (
          <img src={preview.image} alt={`Preview at step ${preview.step}`} data-testid="job-preview" className="h-full w-full object-cover" />
        ) : (
          <div className="flex h-full items-center justify-center p-1 text-center text-[11px] text-muted-foreground">
            {j.status === "queued" ? "Queued" : "Waiting for a preview"}
          </div>
        )}
      </div>
      <div className="min-w-0 flex-1 space-y-1">
        <div className="flex items-start justify-between gap-2">
          <Link to={`/queue/${j.id}`} className="line-clamp-2 min-w-0 flex-1 break-words text-sm font-medium hover:underline">
            {jobTitle(j)}
          </Link>
          <div className="flex shrink-0 items-center gap-1">
            <StatusBadge status={j.status} />
            {onCancel && (j.status === "queued" || j.status === "running") && (
              <Button size="icon" variant="ghost" className="h-7 w-7" aria-label="Cancel job" onClick={() => onCancel(j.id)}>
                <X className="h-4 w-4" />
              </Button>
            )}
          </div>
        </div>
        <div className="text-xs text-muted-foreground" data-testid="job-stage">
          <span>{j.stage_label}</span>
          {j.total_steps ? (
            <span data-testid="job-steps">
              {" "}
              · step {j.step}/{j.total_steps}
            </span>
          ) : null}
          {j.eta_seconds != null && j.status === "running" ? <span> · ETA {formatSeconds(j.eta_seconds)}</span> : null}
          {j.message ? <span> · {j.message}</span> : null}
        </div>
        <ProgressBar value={j.progress} label="Job progress" />
        {j.error && (
          <p role="alert" className="text-xs text-destructive">
            {j.error}
          </p>
        )}
      </div>
    </Card>
  );
}
