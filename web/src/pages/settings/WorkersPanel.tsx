import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { fetchers, qk } from "@/api/queries";
import type { WorkerInfo } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Badge, Card, ErrorText } from "@/components/ui/misc";
import { workerMemory, workerTone } from "./workers";

/** The GPU workers (GET /api/system/workers): where each runs, what it holds, what it runs; drain or undrain one. */
export function WorkersPanel() {
  const { data, error } = useQuery({ queryKey: qk.workers, queryFn: fetchers.workers, refetchInterval: 5_000 });
  if (data && data.workers.length === 0) return null; // one device: jobs run in the studio's own process
  return (
    <Card className="space-y-3 p-4" data-testid="workers">
      <div>
        <h2 className="text-sm font-semibold">GPU workers</h2>
        <p className="text-xs text-muted-foreground">
          One worker per GPU{data?.mode === "ray" ? " on the Ray cluster" : ""}. A job goes to the worker that already holds its
          model when it is free. A drained worker finishes its job and takes no new ones until you resume it.
        </p>
      </div>
      <ErrorText error={error} />
      <ul className="divide-y divide-border">
        {data?.workers.map((w) => <WorkerRow key={w.id} worker={w} />)}
      </ul>
    </Card>
  );
}

function WorkerRow({ worker: w }: { worker: WorkerInfo }) {
  const qc = useQueryClient();
  const drain = useMutation({
    mutationFn: (drained: boolean) => fetchers.drainWorker(w.id, drained),
    onSuccess: () => void qc.invalidateQueries({ queryKey: qk.workers }),
  });
  return (
    <li className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm" data-testid={`worker-${w.id}`}>
      <span className="font-medium">{w.id}</span>
      <span className="text-muted-foreground">
        {w.host ?? "starting"} · {w.device}
      </span>
      <Badge tone={workerTone(w)}>{w.status}</Badge>
      <span className="text-xs text-muted-foreground">{workerMemory(w)}</span>
      <span className="text-xs">{w.loaded_models.length ? w.loaded_models.join(", ") : "no model loaded"}</span>
      {w.current_job_id && (
        <Link className="text-xs text-primary underline-offset-2 hover:underline" to={`/queue/${w.current_job_id}`}>
          running job {w.current_job_id.slice(0, 8)}
        </Link>
      )}
      <Button
        className="ml-auto"
        size="sm"
        variant="outline"
        disabled={drain.isPending}
        onClick={() => drain.mutate(!w.drained)}
      >
        {w.drained ? "Resume" : "Drain"}
      </Button>
      <ErrorText error={drain.error} />
    </li>
  );
}
