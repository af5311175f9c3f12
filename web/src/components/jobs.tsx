/** Small pieces shared by the queue, the job page, the image page and the notifications. */
import { Badge } from "@/components/ui/misc";
import type { Job, JobStatus } from "@/api/types";

export function jobTitle(job: Pick<Job, "kind" | "params">): string {
  const p = job.params ?? {};
  const text = (p.prompt as string | undefined) ?? (p.model_id as string | undefined) ?? (p.model as string | undefined);
  if (text) return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  return `${job.kind} job`;
}

const TONES: Record<JobStatus, "default" | "primary" | "success" | "warning" | "destructive"> = {
  queued: "default",
  running: "primary",
  completed: "success",
  failed: "destructive",
  cancelled: "warning",
};

export function StatusBadge({ status }: { status: JobStatus }) {
  return (
    <Badge tone={TONES[status] ?? "default"} data-testid="job-status" data-status={status}>
      {status}
    </Badge>
  );
}
