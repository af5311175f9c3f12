import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, CheckCircle2, RefreshCw, Search, XCircle } from "lucide-react";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { fieldErrors } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { Badge, Card, Empty, ErrorText, PageHeader } from "@/components/ui/misc";
import { relativeTime } from "@/lib/utils";
import { categoriesOf, filterModels, formatPrice, providerApi, providerKeys, type ProviderRecord, type ProviderUpdate } from "./api";
import { ProviderStateBadges, keyText } from "./ProvidersPage";

export function ProviderDetailPage() {
  const { providerId = "" } = useParams();
  const { data: p, error } = useQuery({ queryKey: providerKeys.one(providerId), queryFn: () => providerApi.get(providerId) });
  return (
    <div className="max-w-5xl space-y-4">
      <Link to="/providers" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
        <ArrowLeft className="h-4 w-4" aria-hidden /> Providers
      </Link>
      <PageHeader title={p?.name ?? providerId}>{p && <ProviderStateBadges p={p} />}</PageHeader>
      <ErrorText error={error} />
      {p && (
        <>
          <div className="grid gap-4 lg:grid-cols-2">
            <KeyCard p={p} />
            <ConnectionCard p={p} />
          </div>
          {p.kind === "image" ? <ModelsCard p={p} /> : <LlmModelsCard p={p} />}
        </>
      )}
    </div>
  );
}

/** Saves a change and refreshes every view of providers (and the models the selectors offer). */
function useProviderUpdate(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ProviderUpdate) => providerApi.update(id, body),
    onSuccess: (record) => {
      qc.setQueryData(providerKeys.one(id), record);
      void qc.invalidateQueries({ queryKey: providerKeys.all, exact: true });
      void qc.invalidateQueries({ queryKey: ["remote-models"] });
    },
  });
}

function KeyCard({ p }: { p: ProviderRecord }) {
  const [key, setKey] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const update = useProviderUpdate(p.id);
  const errors = fieldErrors(update.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!key.trim()) return;
    setSaved(null);
    update.mutate({ api_key: key.trim() }, { onSuccess: () => (setKey(""), setSaved("Key saved.")) });
  };
  const remove = () => {
    setSaved(null);
    update.mutate({ api_key: null }, { onSuccess: () => setSaved("Stored key removed.") });
  };

  return (
    <Card className="space-y-3 p-4">
      <h2 className="text-sm font-semibold">API key</h2>
      <p className="text-sm" data-testid="provider-key-state" data-has-key={p.has_api_key}>
        {keyText(p)}
      </p>
      <form onSubmit={submit} className="space-y-3" autoComplete="off">
        <Field
          label={p.has_api_key ? "Replace the key" : "Key"}
          name="api_key"
          error={errors.api_key}
          hint="Kept on the studio's server with owner-only permissions; never shown again."
        >
          <Input
            type="password"
            data-testid="provider-key-input"
            autoComplete="new-password"
            spellCheck={false}
            value={key}
            placeholder={p.has_api_key ? `${p.api_key_masked ?? "••••"} (type a new key to replace it)` : "Paste the key"}
            onChange={(e) => setKey(e.target.value)}
          />
        </Field>
        <div className="flex flex-wrap items-center gap-2">
          <Button type="submit" disabled={!key.trim() || update.isPending} data-testid="provider-key-save">
            Save key
          </Button>
          {p.key_source === "stored" && (
            <Button variant="outline" onClick={remove} disabled={update.isPending} data-testid="provider-key-remove">
              Remove stored key
            </Button>
          )}
          {saved && (
            <span role="status" className="text-sm text-success">
              {saved}
            </span>
          )}
        </div>
        {p.key_source === "env" && (
          <p className="text-xs text-muted-foreground">
            The key comes from {p.key_env} in the studio's environment; a key saved here takes its place.
          </p>
        )}
        {!errors.api_key && <ErrorText error={update.error} />}
      </form>
    </Card>
  );
}

function ConnectionCard({ p }: { p: ProviderRecord }) {
  const [url, setUrl] = useState(p.api_url);
  const update = useProviderUpdate(p.id);
  const test = useMutation({ mutationFn: () => providerApi.test(p.id) });
  const errors = fieldErrors(update.error);
  useEffect(() => setUrl(p.api_url), [p.api_url]);

  return (
    <Card className="space-y-3 p-4">
      <div className="flex items-center justify-between">
        <h2 className="text-sm font-semibold">Connection</h2>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            role="switch"
            aria-checked={p.is_enabled}
            data-testid="provider-enabled-toggle"
            checked={p.is_enabled}
            disabled={update.isPending}
            onChange={(e) => update.mutate({ is_enabled: e.target.checked })}
          />
          Enabled
        </label>
      </div>
      <form
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          update.mutate({ api_url: url.trim() || null });
        }}
      >
        <Field label="Base URL" name="api_url" error={errors.api_url}>
          <Input data-testid="provider-url" value={url} onChange={(e) => setUrl(e.target.value)} spellCheck={false} />
        </Field>
        <div className="flex gap-2">
          <Button type="submit" variant="outline" size="sm" disabled={url.trim() === p.api_url || update.isPending}>
            Save URL
          </Button>
          <Button variant="ghost" size="sm" onClick={() => update.mutate({ api_url: null })} disabled={update.isPending}>
            Reset to default
          </Button>
        </div>
      </form>
      {!errors.api_url && <ErrorText error={update.error} />}
      <div className="space-y-2 border-t border-border pt-3">
        <Button variant="secondary" onClick={() => test.mutate()} disabled={test.isPending} data-testid="provider-test">
          {test.isPending ? "Testing…" : "Test connection"}
        </Button>
        {test.data && (
          <p
            role={test.data.ok ? "status" : "alert"}
            data-testid="provider-test-result"
            data-ok={test.data.ok}
            className={`flex items-start gap-1.5 text-sm ${test.data.ok ? "text-success" : "text-destructive"}`}
          >
            {test.data.ok ? <CheckCircle2 className="mt-0.5 h-4 w-4 shrink-0" /> : <XCircle className="mt-0.5 h-4 w-4 shrink-0" />}
            {test.data.message}
          </p>
        )}
        <ErrorText error={test.error} />
      </div>
    </Card>
  );
}

function useDiscover(p: ProviderRecord) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => providerApi.discover(p.id),
    onSuccess: (res) => {
      if (p.kind === "image") qc.setQueryData(providerKeys.models(p.id), res.models);
      void qc.invalidateQueries({ queryKey: providerKeys.all });
      void qc.invalidateQueries({ queryKey: ["remote-models"] });
    },
  });
}

function ModelsCard({ p }: { p: ProviderRecord }) {
  const { data: models, error } = useQuery({ queryKey: providerKeys.models(p.id), queryFn: () => providerApi.models(p.id) });
  const discover = useDiscover(p);
  const [query, setQuery] = useState("");
  const [category, setCategory] = useState("");
  const categories = useMemo(() => categoriesOf(models ?? []), [models]);
  const shown = useMemo(() => filterModels(models ?? [], query, category), [models, query, category]);

  return (
    <Card className="space-y-3 p-4" data-testid="provider-models">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">
          Models{" "}
          <span className="font-normal text-muted-foreground">
            ({models?.length ?? 0}
            {p.discovered_at ? `, discovered ${relativeTime(p.discovered_at)}` : ""})
          </span>
        </h2>
        <Button size="sm" variant="outline" onClick={() => discover.mutate()} disabled={discover.isPending} data-testid="provider-discover">
          <RefreshCw className={`h-3.5 w-3.5 ${discover.isPending ? "animate-spin" : ""}`} aria-hidden />
          {discover.isPending ? "Discovering…" : p.discovered_at ? "Refresh models" : "Discover models"}
        </Button>
      </div>
      <ErrorText error={discover.error ?? error} />
      {discover.data && (
        <p role="status" className="text-xs text-muted-foreground">
          Found {discover.data.count} models.
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <div className="relative min-w-48 flex-1">
          <Search className="pointer-events-none absolute left-2.5 top-2.5 h-4 w-4 text-muted-foreground" aria-hidden />
          <Input
            aria-label="Search models"
            data-testid="provider-model-search"
            className="pl-8"
            placeholder="Search models"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <Select
          aria-label="Category"
          data-testid="provider-model-category"
          className="w-auto"
          value={category}
          onChange={(e) => setCategory(e.target.value)}
        >
          <option value="">All categories</option>
          {categories.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </Select>
      </div>
      {models && models.length === 0 ? (
        <Empty>No models yet: {p.has_api_key ? "discover them from the provider." : "add a key, then discover them."}</Empty>
      ) : shown.length === 0 ? (
        <Empty>No model matches.</Empty>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <thead className="text-left text-xs text-muted-foreground">
              <tr>
                <th className="py-1 pr-3 font-medium">Model</th>
                <th className="py-1 pr-3 font-medium">Category</th>
                <th className="py-1 pr-3 font-medium">Price</th>
                <th className="py-1 font-medium">Fields</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((m) => (
                <tr key={m.id} className="border-t border-border align-top" data-testid="provider-model-row">
                  <td className="py-2 pr-3">
                    <div className="font-medium">{m.name}</div>
                    <div className="font-mono text-xs text-muted-foreground">{m.id}</div>
                    {m.description && <div className="line-clamp-2 text-xs text-muted-foreground">{m.description}</div>}
                  </td>
                  <td className="py-2 pr-3">
                    <Badge className="whitespace-nowrap">{m.category}</Badge>
                  </td>
                  <td className="whitespace-nowrap py-2 pr-3 tabular-nums">{formatPrice(m.price) ?? "–"}</td>
                  <td className="py-2 text-xs text-muted-foreground">
                    {(m.params ?? [])
                      .slice(0, 8)
                      .map((s) => s.name)
                      .join(", ") || "–"}
                    {(m.params?.length ?? 0) > 8 ? ` +${(m.params?.length ?? 0) - 8}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function LlmModelsCard({ p }: { p: ProviderRecord }) {
  const discover = useDiscover(p);
  return (
    <Card className="space-y-3 p-4" data-testid="provider-models">
      <div className="flex items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">Models</h2>
        <Button size="sm" variant="outline" onClick={() => discover.mutate()} disabled={discover.isPending} data-testid="provider-discover">
          <RefreshCw className="h-3.5 w-3.5" aria-hidden />
          List models
        </Button>
      </div>
      <p className="text-xs text-muted-foreground">
        The Bulk page uses this LLM to write prompt variations; choose its model there or in the settings.
      </p>
      <ErrorText error={discover.error} />
      {discover.data && (
        <ul className="flex flex-wrap gap-1.5">
          {discover.data.models.map((m) => (
            <li key={m.id}>
              <Badge>{m.model_id}</Badge>
            </li>
          ))}
          {discover.data.models.length === 0 && <li className="text-sm text-muted-foreground">The server lists no models.</li>}
        </ul>
      )}
    </Card>
  );
}
