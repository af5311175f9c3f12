import { useQuery } from "@tanstack/react-query";
import { PauseCircle } from "lucide-react";
import { fetchers, qk } from "@/api/queries";
import type { Health } from "@/api/types";
import { WarningBanner } from "@/components/ui/misc";

const FALLBACK =
  "The job queue is paused: the database could not be written (disk full?). It resumes by itself when the problem is fixed.";

/** The sentence to show when the server says its job queue is paused, else null. */
export function queuePausedMessage(health: Health | undefined | null): string | null {
  const queue = health?.queue;
  if (!queue || queue.ok) return null;
  return queue.message || FALLBACK;
}

export function QueuePausedNotice({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <WarningBanner testId="queue-banner" icon={<PauseCircle className="h-4 w-4" aria-hidden />}>
      <span className="flex-1">{message} New jobs are kept in the queue meanwhile.</span>
    </WarningBanner>
  );
}

/** Polls /api/health (more often while paused) and says when the job queue cannot run. */
export function QueueBanner() {
  const { data } = useQuery({
    queryKey: qk.health,
    queryFn: fetchers.health,
    refetchInterval: (query) => (queuePausedMessage(query.state.data) ? 3_000 : 15_000),
  });
  return <QueuePausedNotice message={queuePausedMessage(data)} />;
}
