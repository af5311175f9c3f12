import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Check, Pencil, Plus, Trash2, X } from "lucide-react";
import { useState } from "react";
import { fetchers, qk } from "@/api/queries";
import type { Session } from "@/api/types";
import { cn, plural, relativeTime } from "@/lib/utils";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";

export function SessionSidebar({
  current,
  onSelect,
  onNew,
}: {
  current: string | null;
  onSelect: (id: string | null) => void;
  /** "New" was pressed: the page starts a fresh form at once (what is typed next is never wiped). */
  onNew: () => void;
}) {
  const qc = useQueryClient();
  const { data: sessions = [] } = useQuery({ queryKey: qk.sessions, queryFn: fetchers.sessions });
  const create = useMutation({
    mutationFn: () => fetchers.createSession("New session"),
    onSuccess: (s) => {
      void qc.invalidateQueries({ queryKey: qk.sessions });
      onSelect(s.id);
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => fetchers.deleteSession(id),
    onSuccess: (_r, id) => {
      void qc.invalidateQueries({ queryKey: qk.sessions });
      if (id === current) onSelect(null);
    },
  });
  return (
    <aside aria-label="Sessions" className="flex w-full flex-col gap-2 lg:w-56 lg:shrink-0">
      <div className="flex items-center justify-between">
        <h2 className="text-sm font-semibold">Sessions</h2>
        <Button size="sm" variant="outline" onClick={() => (onNew(), create.mutate())} aria-label="New session" title="A new session, starting from your Settings' defaults">
          <Plus className="h-3.5 w-3.5" /> New
        </Button>
      </div>
      <ul className="flex max-h-[70vh] flex-col gap-1 overflow-auto" data-testid="session-list">
        {sessions.length === 0 && <li className="text-xs text-muted-foreground">Your first prompt starts a session.</li>}
        {sessions.map((s) => (
          <SessionItem
            key={s.id}
            session={s}
            active={s.id === current}
            onSelect={() => onSelect(s.id)}
            onDelete={() => {
              if (confirm(`Delete the session “${s.name}”? Its images stay in the gallery.`)) remove.mutate(s.id);
            }}
          />
        ))}
      </ul>
    </aside>
  );
}

function SessionItem({
  session,
  active,
  onSelect,
  onDelete,
}: {
  session: Session;
  active: boolean;
  onSelect: () => void;
  onDelete: () => void;
}) {
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(session.name);
  const rename = useMutation({
    mutationFn: (n: string) => fetchers.renameSession(session.id, n),
    onSuccess: () => {
      setEditing(false);
      void qc.invalidateQueries({ queryKey: qk.sessions });
    },
  });
  if (editing) {
    return (
      <li>
        <form
          className="flex items-center gap-1"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) rename.mutate(name.trim());
          }}
        >
          <Input aria-label="Session name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} autoFocus className="h-8" />
          <Button type="submit" size="icon" variant="ghost" className="h-8 w-8" aria-label="Save name">
            <Check className="h-4 w-4" />
          </Button>
          <Button size="icon" variant="ghost" className="h-8 w-8" aria-label="Cancel rename" onClick={() => setEditing(false)}>
            <X className="h-4 w-4" />
          </Button>
        </form>
      </li>
    );
  }
  return (
    <li
      className={cn("group flex items-center rounded-md", active ? "bg-accent" : "hover:bg-muted")}
      data-testid="session-item"
      data-active={active || undefined}
    >
      <button type="button" onClick={onSelect} className="min-w-0 flex-1 px-2 py-1.5 text-left" aria-current={active || undefined}>
        <div className={cn("truncate text-sm", active && "font-medium text-primary")}>{session.name}</div>
        <div className="text-[11px] text-muted-foreground">
          {plural(session.asset_count, "image")} · {relativeTime(session.updated_at)}
        </div>
      </button>
      <div className="flex opacity-60 group-hover:opacity-100">
        <Button
          size="icon"
          variant="ghost"
          className="h-7 w-7"
          aria-label={`Rename ${session.name}`}
          onClick={() => {
            setName(session.name);
            setEditing(true);
          }}
        >
          <Pencil className="h-3.5 w-3.5" />
        </Button>
        <Button size="icon" variant="ghost" className="h-7 w-7" aria-label={`Delete ${session.name}`} onClick={onDelete}>
          <Trash2 className="h-3.5 w-3.5" />
        </Button>
      </div>
    </li>
  );
}
