import { useQuery } from "@tanstack/react-query";
import { ChevronRight, Cloud, KeyRound, MessageSquareText } from "lucide-react";
import { Link } from "react-router-dom";
import { Badge, Card, Empty, ErrorText, PageHeader } from "@/components/ui/misc";
import { relativeTime } from "@/lib/utils";
import { providerApi, providerKeys, type ProviderRecord } from "./api";

const KIND_LABEL: Record<string, string> = { image: "Image and video generation", llm: "Prompt variations (LLM)" };

export function keyText(p: Pick<ProviderRecord, "has_api_key" | "api_key_masked" | "key_source" | "key_env">): string {
  if (!p.has_api_key) return p.key_env ? `No key (or set ${p.key_env})` : "No key";
  const where = p.key_source === "env" ? ` from ${p.key_env ?? "the environment"}` : "";
  return `Key ${p.api_key_masked ?? "set"}${where}`;
}

export function ProviderStateBadges({ p }: { p: ProviderRecord }) {
  return (
    <div className="flex flex-wrap gap-1">
      <Badge tone={p.is_configured ? "success" : "warning"} data-testid="provider-configured" data-configured={p.is_configured}>
        {p.is_configured ? "Configured" : "Not configured"}
      </Badge>
      <Badge tone={p.is_enabled ? "primary" : "default"} data-testid="provider-enabled" data-enabled={p.is_enabled}>
        {p.is_enabled ? "Enabled" : "Disabled"}
      </Badge>
    </div>
  );
}

export function ProvidersPage() {
  const { data: providers, error, isLoading } = useQuery({ queryKey: providerKeys.all, queryFn: providerApi.list });
  const groups = ["image", "llm"].map((kind) => [kind, (providers ?? []).filter((p) => p.kind === kind)] as const);
  return (
    <div className="space-y-6">
      <PageHeader title="Providers" />
      <p className="max-w-3xl text-sm text-muted-foreground">
        Remote services run models beside the local ones, on the same queue; LLMs write prompt variations for bulk batches. Keys stay
        on the studio's server: this page only ever shows whether one is set and its last four characters.
      </p>
      <ErrorText error={error} />
      {isLoading && <p className="text-sm text-muted-foreground">Loading providers…</p>}
      {providers && providers.length === 0 && <Empty>No providers on this server.</Empty>}
      {groups.map(
        ([kind, list]) =>
          list.length > 0 && (
            <section key={kind} aria-label={KIND_LABEL[kind]} className="space-y-2">
              <h2 className="text-sm font-semibold">{KIND_LABEL[kind]}</h2>
              <ul className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3">
                {list.map((p) => (
                  <li key={p.id}>
                    <ProviderCard p={p} />
                  </li>
                ))}
              </ul>
            </section>
          ),
      )}
    </div>
  );
}

function ProviderCard({ p }: { p: ProviderRecord }) {
  const Icon = p.kind === "llm" ? MessageSquareText : Cloud;
  return (
    <Link to={`/providers/${p.id}`} className="block" data-testid="provider-card" data-provider={p.id}>
      <Card className="space-y-3 p-4 transition-colors hover:bg-muted/50">
        <div className="flex items-center justify-between gap-2">
          <div className="flex items-center gap-2">
            <Icon className="h-5 w-5 text-primary" aria-hidden />
            <span className="font-medium">{p.name}</span>
          </div>
          <ChevronRight className="h-4 w-4 text-muted-foreground" aria-hidden />
        </div>
        <ProviderStateBadges p={p} />
        <div className="space-y-1 text-xs text-muted-foreground">
          <p className="flex items-center gap-1.5" data-testid="provider-key">
            <KeyRound className="h-3.5 w-3.5" aria-hidden />
            {keyText(p)}
          </p>
          <p className="truncate" title={p.api_url}>
            {p.api_url}
          </p>
          {p.kind === "image" && (
            <p>
              {p.model_count} model{p.model_count === 1 ? "" : "s"}
              {p.discovered_at ? ` · discovered ${relativeTime(p.discovered_at)}` : " · not discovered yet"}
            </p>
          )}
        </div>
      </Card>
    </Link>
  );
}
