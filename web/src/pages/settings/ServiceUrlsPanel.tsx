import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { ApiError } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import type { ServiceUrl } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Card, ErrorText } from "@/components/ui/misc";

/** Where each outside service is reached (GET/PUT /api/settings/services): applied at once, no restart. */
export function ServiceUrlsPanel() {
  const { data, error } = useQuery({ queryKey: qk.serviceUrls, queryFn: fetchers.serviceUrls });
  return (
    <Card className="space-y-4 p-4" data-testid="service-urls">
      <div>
        <h2 className="text-sm font-semibold">Service addresses</h2>
        <p className="text-xs text-muted-foreground">
          Where the studio reaches ComfyUI, Civitai, the remote providers and the LLMs. Empty: the default (the environment
          variable, else the service&apos;s own address). A stored key is removed when its service&apos;s address changes.
        </p>
      </div>
      <ErrorText error={error} />
      <div className="grid gap-4 sm:grid-cols-2">
        {data?.map((s) => <ServiceUrlRow key={s.id} service={s} />)}
      </div>
    </Card>
  );
}

function ServiceUrlRow({ service: s }: { service: ServiceUrl }) {
  const qc = useQueryClient();
  const [url, setUrl] = useState(s.is_default ? "" : s.url);
  useEffect(() => setUrl(s.is_default ? "" : s.url), [s.url, s.is_default]);
  const [err, setErr] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (value: string | null) => fetchers.setServiceUrl(s.id, value),
    onSuccess: (next) => {
      qc.setQueryData<ServiceUrl[]>(qk.serviceUrls, (all) => all?.map((x) => (x.id === next.id ? next : x)));
      void qc.invalidateQueries({ queryKey: ["providers"] });
      void qc.invalidateQueries({ queryKey: qk.settings, exact: true });
      setErr(null);
      setSaved(true);
    },
    onError: (e) => setErr(e instanceof ApiError ? `${e.detail.replace(/^url: /, "The address ")}. Correct it and save again.` : String(e)),
  });
  const current = s.is_default ? "" : s.url;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    save.mutate(url.trim() || null);
  };
  return (
    <form onSubmit={submit} noValidate data-testid={`service-url-${s.id}`}>
      <Field label={s.name} name={`service-${s.id}`} error={err} hint={s.is_default ? `Default: ${s.default_url} (${s.env_var})` : `Default: ${s.default_url}`}>
        <Input
          type="url"
          inputMode="url"
          value={url}
          placeholder={s.default_url}
          onChange={(e) => {
            setUrl(e.target.value);
            setSaved(false);
          }}
        />
      </Field>
      <div className="mt-1.5 flex items-center gap-2">
        <Button type="submit" size="sm" variant="outline" disabled={save.isPending || url.trim() === current}>
          Save
        </Button>
        {!s.is_default && (
          <Button type="button" size="sm" variant="ghost" disabled={save.isPending} onClick={() => (setSaved(false), save.mutate(null))}>
            Use default
          </Button>
        )}
        {saved && (
          <span role="status" className="text-xs text-success">
            Saved: in use now
          </span>
        )}
      </div>
    </form>
  );
}
