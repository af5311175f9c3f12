import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Trash2 } from "lucide-react";
import { useState } from "react";
import { fetchers, qk } from "@/api/queries";
import type { RequestLog } from "@/api/types";
import { formatTime } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/input";
import { Badge, Card, Empty, ErrorText, PageHeader } from "@/components/ui/misc";
import { Dialog } from "@/components/ui/dialog";

const PAGE_SIZE = 25;

export function LogsPage() {
  const qc = useQueryClient();
  const [page, setPage] = useState(0);
  const [type, setType] = useState("");
  const [status, setStatus] = useState("");
  const [selected, setSelected] = useState<RequestLog | null>(null);
  const filters = { type: type.trim() || undefined, status: status || undefined, limit: PAGE_SIZE, offset: page * PAGE_SIZE };
  const { data, error } = useQuery({ queryKey: qk.logs(filters), queryFn: () => fetchers.logs(filters), placeholderData: keepPreviousData });
  const refresh = () => qc.invalidateQueries({ queryKey: ["logs"] });
  const remove = useMutation({ mutationFn: fetchers.deleteLog, onSuccess: () => (setSelected(null), refresh()) });
  const clear = useMutation({ mutationFn: fetchers.clearLogs, onSuccess: () => (setPage(0), refresh()) });
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE_SIZE)) : 1;

  return (
    <div>
      <PageHeader title="Request logs">
        <Input aria-label="Filter by type" placeholder="type (jobs, assets…)" value={type} onChange={(e) => (setType(e.target.value), setPage(0))} className="w-44" />
        <Select aria-label="Filter by status" value={status} onChange={(e) => (setStatus(e.target.value), setPage(0))} className="w-32">
          <option value="">Any status</option>
          <option value="success">Success</option>
          <option value="error">Error</option>
        </Select>
        <Button variant="outline" size="sm" onClick={() => confirm("Delete every request log?") && clear.mutate()}>
          Clear all
        </Button>
      </PageHeader>
      <ErrorText error={error} />
      {data && data.items.length === 0 && <Empty>No request logged{type || status ? " with these filters" : ""}.</Empty>}
      {data && data.items.length > 0 && (
        <Card className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="logs-table">
            <thead className="text-left text-xs text-muted-foreground">
              <tr className="border-b border-border">
                <th className="px-3 py-2 font-medium">Time</th>
                <th className="px-3 py-2 font-medium">Type</th>
                <th className="px-3 py-2 font-medium">Request</th>
                <th className="px-3 py-2 font-medium">Status</th>
                <th className="px-3 py-2 font-medium">Duration</th>
                <th className="px-3 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((l) => (
                <tr key={l.id} className="border-b border-border last:border-0 hover:bg-muted/50">
                  <td className="whitespace-nowrap px-3 py-1.5 text-xs">{formatTime(l.created_at)}</td>
                  <td className="px-3 py-1.5">{l.type}</td>
                  <td className="px-3 py-1.5">
                    <button type="button" className="text-left font-mono text-xs hover:underline" onClick={() => setSelected(l)}>
                      {l.method} {l.endpoint}
                    </button>
                  </td>
                  <td className="px-3 py-1.5">
                    <Badge tone={l.status === "success" ? "success" : "destructive"}>{l.status_code ?? l.status}</Badge>
                  </td>
                  <td className="px-3 py-1.5 text-xs tabular-nums">{l.duration_ms != null ? `${l.duration_ms.toFixed(0)} ms` : "–"}</td>
                  <td className="px-3 py-1.5 text-right">
                    <Button size="icon" variant="ghost" className="h-7 w-7" aria-label={`Delete log ${l.id}`} onClick={() => remove.mutate(l.id)}>
                      <Trash2 className="h-3.5 w-3.5" />
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      {data && data.total > PAGE_SIZE && (
        <nav aria-label="Pages" className="mt-3 flex items-center justify-end gap-2 text-sm">
          <Button size="sm" variant="outline" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
            Previous
          </Button>
          <span>
            Page {page + 1} of {pages}
          </span>
          <Button size="sm" variant="outline" disabled={page + 1 >= pages} onClick={() => setPage((p) => p + 1)}>
            Next
          </Button>
        </nav>
      )}
      <Dialog open={!!selected} onOpenChange={(o) => !o && setSelected(null)} title={selected ? `${selected.method ?? ""} ${selected.endpoint}` : ""} className="w-[min(92vw,720px)]">
        {selected && (
          <div className="space-y-3 text-sm">
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
              <dt className="text-muted-foreground">When</dt>
              <dd>{formatTime(selected.created_at)}</dd>
              <dt className="text-muted-foreground">Status</dt>
              <dd>
                {selected.status} {selected.status_code ?? ""}
              </dd>
              <dt className="text-muted-foreground">Duration</dt>
              <dd>{selected.duration_ms?.toFixed(1) ?? "–"} ms</dd>
              {selected.error && (
                <>
                  <dt className="text-muted-foreground">Error</dt>
                  <dd className="text-destructive">{selected.error}</dd>
                </>
              )}
            </dl>
            {selected.request != null && <pre className="max-h-48 overflow-auto rounded bg-muted p-2 text-xs">{JSON.stringify(selected.request, null, 2)}</pre>}
            {selected.response != null && <pre className="max-h-48 overflow-auto rounded bg-muted p-2 text-xs">{JSON.stringify(selected.response, null, 2)}</pre>}
            <div className="flex justify-end">
              <Button variant="destructive" size="sm" onClick={() => remove.mutate(selected.id)}>
                Delete this entry
              </Button>
            </div>
          </div>
        )}
      </Dialog>
    </div>
  );
}
