import { X } from "lucide-react";
import type { HTMLAttributes, ReactNode } from "react";
import { cn } from "@/lib/utils";

export function Card({ className, ...props }: HTMLAttributes<HTMLDivElement>) {
  return <div className={cn("rounded-lg border border-border bg-card", className)} {...props} />;
}

const badgeTones = {
  default: "bg-muted text-muted-foreground",
  primary: "bg-accent text-primary",
  success: "bg-success/15 text-success",
  warning: "bg-warning/15 text-warning",
  destructive: "bg-destructive/15 text-destructive",
} as const;

export function Badge({
  tone = "default",
  className,
  ...props
}: HTMLAttributes<HTMLSpanElement> & { tone?: keyof typeof badgeTones }) {
  return (
    <span
      className={cn("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium", badgeTones[tone], className)}
      {...props}
    />
  );
}

export function ProgressBar({ value, label, className }: { value: number; label?: string; className?: string }) {
  const v = Math.max(0, Math.min(100, value || 0));
  return (
    <div
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(v)}
      aria-label={label}
      className={cn("h-2 w-full overflow-hidden rounded-full bg-muted", className)}
    >
      <div className="h-full bg-primary transition-[width] duration-300" style={{ width: `${v}%` }} />
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
      <h1 className="text-xl font-semibold">{title}</h1>
      <div className="flex flex-wrap items-center gap-2">{children}</div>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="rounded-lg border border-dashed border-border p-8 text-center text-sm text-muted-foreground">{children}</div>;
}

export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="text-sm text-destructive">
      {msg}
    </p>
  );
}

/** A full-width warning strip under the header: the studio's state that affects every page (server away, queue paused). */
export function WarningBanner({ icon, testId, children }: { icon: ReactNode; testId: string; children: ReactNode }) {
  return (
    <div
      role="alert"
      data-testid={testId}
      className="flex items-center gap-3 border-b border-warning/40 bg-warning/15 px-4 py-2 text-sm text-warning"
    >
      {icon}
      {children}
    </div>
  );
}

/** An error the user can put away: a sentence (with its next step) and a dismiss button. */
export function ErrorAlert({ children, onDismiss, testId }: { children: ReactNode; onDismiss: () => void; testId?: string }) {
  return (
    <div role="alert" data-testid={testId} className="flex items-start gap-2 rounded-md border border-destructive/30 bg-destructive/10 px-3 py-2 text-sm text-destructive">
      <div className="min-w-0 flex-1">{children}</div>
      <button type="button" onClick={onDismiss} aria-label="Dismiss" className="-m-1 shrink-0 rounded p-1 hover:bg-destructive/15">
        <X className="h-4 w-4" aria-hidden />
      </button>
    </div>
  );
}
