import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { setToken } from "@/api/client";
import { useLiveStatus } from "@/live/LiveProvider";
import { Dialog } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Button } from "@/components/ui/button";

/** Shown when the API answers 401: the studio runs with HOLLYWOOL_TOKEN. */
export function TokenDialog() {
  const { authRequired, setAuthRequired, reconnect } = useLiveStatus();
  const qc = useQueryClient();
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!value.trim()) return;
    setToken(value.trim());
    setAuthRequired(false);
    setValue("");
    reconnect();
    void qc.invalidateQueries();
  };
  return (
    <Dialog
      open={authRequired}
      onOpenChange={setAuthRequired}
      title="Access token required"
      description="This studio is protected by an access token (HOLLYWOOL_TOKEN). Enter it to continue; it is remembered in this browser."
    >
      <form onSubmit={submit} className="space-y-3">
        <Field label="Access token">
          <Input type="password" autoComplete="current-password" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
        </Field>
        <div className="flex justify-end">
          <Button type="submit">Sign in</Button>
        </div>
      </form>
    </Dialog>
  );
}
