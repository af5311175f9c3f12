import { useMutation, useQuery } from "@tanstack/react-query";
import { Maximize } from "lucide-react";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/input";
import { ErrorText } from "@/components/ui/misc";
import { videoApi, videoKeys } from "./api";

/** Upscale an image or video asset 2x or 4x with a Real-ESRGAN (or any spandrel) model; the job runs in the queue. */
export function UpscaleAction({ assetId }: { assetId: string }) {
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [model, setModel] = useState("");
  const [scale, setScale] = useState<2 | 4>(2);
  const { data: models = [] } = useQuery({ queryKey: videoKeys.upscalers, queryFn: videoApi.upscalers, enabled: open });
  const start = useMutation({
    mutationFn: () => videoApi.upscale({ asset_id: assetId, model: model || models[0]?.id, scale }),
    onSuccess: (r) => navigate(`/queue/${r.job_id}`),
  });
  if (!open)
    return (
      <Button size="sm" variant="outline" onClick={() => setOpen(true)} data-testid="upscale">
        <Maximize className="h-3.5 w-3.5" /> Upscale
      </Button>
    );
  return (
    <div className="flex w-full flex-wrap items-center gap-2 rounded-md border border-border p-2" data-testid="upscale-form">
      <Select aria-label="Upscaler" value={model || models[0]?.id} onChange={(e) => setModel(e.target.value)}>
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
            {m.available ? "" : " (downloads on first use)"}
          </option>
        ))}
      </Select>
      <Select aria-label="Scale" value={scale} onChange={(e) => setScale(Number(e.target.value) as 2 | 4)}>
        <option value={2}>2x</option>
        <option value={4}>4x</option>
      </Select>
      <Button size="sm" onClick={() => start.mutate()} disabled={start.isPending || models.length === 0}>
        Start
      </Button>
      <ErrorText error={start.error} />
    </div>
  );
}
