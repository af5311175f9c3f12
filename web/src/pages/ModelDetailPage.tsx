import { useQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { Link, useParams } from "react-router-dom";
import { fetchers, qk } from "@/api/queries";
import { formatBytes, formatGb, formatTime } from "@/lib/utils";
import { Card, Empty, PageHeader } from "@/components/ui/misc";
import { FitWarning } from "./image/ModelSelect";
import { CacheBadge, ModelActions, useModels } from "./ModelsPage";

export function ModelDetailPage() {
  const { modelId = "" } = useParams();
  const { data: models, isLoading } = useModels();
  const model = models?.find((m) => m.id === modelId);
  const { data: fit } = useQuery({ queryKey: qk.canGenerate(modelId), queryFn: () => fetchers.canGenerate(modelId), enabled: !!model });
  const back = (
    <Link to="/models" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:underline">
      <ArrowLeft className="h-4 w-4" /> Models
    </Link>
  );
  if (isLoading) return back;
  if (!model)
    return (
      <div className="space-y-4">
        {back}
        <Empty>No model {modelId} in the catalogue.</Empty>
      </div>
    );
  const rows: [string, React.ReactNode][] = [
    ["Id", model.id],
    ["Family", model.family ? `${model.family} (${model.type})` : model.type],
    ["Category", model.category],
    ["Source", model.path ?? "–"],
    ["Download size", formatGb(model.size_gb)],
    ["Memory needed", formatGb(model.memory_gb)],
    ["Cache size", model.cache_size_bytes ? formatBytes(model.cache_size_bytes) : "–"],
    ["Last used", formatTime(model.last_used)],
    ["Default steps", model.default_steps ?? "–"],
    ["Default guidance", model.default_guidance ?? "–"],
    ["Default size", model.default_width ? `${model.default_width}×${model.default_height}` : "–"],
    ["Tags", model.tags?.join(", ") || "–"],
    ["Gated", model.gated ? "yes (needs HF_TOKEN)" : "no"],
    ["Defined by", model.user_defined ? "your config.yaml" : "the shipped catalogue"],
  ];
  return (
    <div className="space-y-4">
      {back}
      <PageHeader title={model.name}>
        <CacheBadge model={model} />
      </PageHeader>
      {model.description && <p className="text-sm text-muted-foreground">{model.description}</p>}
      <FitWarning fit={fit} />
      <Card className="p-4">
        <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1.5 text-sm" data-testid="model-detail">
          {rows.map(([k, v]) => (
            <div key={k} className="contents">
              <dt className="text-muted-foreground">{k}</dt>
              <dd className="break-all">{v}</dd>
            </div>
          ))}
        </dl>
      </Card>
      <ModelActions model={model} />
      {model.category !== "video" && (
        <Link to="/" state={{ useModel: model.id }} className="text-sm text-primary hover:underline">
          Generate with this model
        </Link>
      )}
    </div>
  );
}
