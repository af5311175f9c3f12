/** Small pieces shared by the queue, the job page, the image page and the notifications. */
import { Badge } from "@/components/ui/misc";
import type { Job, JobStatus } from "@/api/types";

/** The server's title of the job (its prompt, workflow, model or file), cut to one line. */
export function jobTitle(job: Pick<Job, "title">): string {
  const text = job.title;
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
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
