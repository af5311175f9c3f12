import * as HoverCard from "@radix-ui/react-hover-card";
import * as Popover from "@radix-ui/react-popover";
import { useQuery } from "@tanstack/react-query";
import { Bell, Cpu, Monitor, Moon, Sun } from "lucide-react";
import { useMemo } from "react";
import { Link } from "react-router-dom";
import { fetchers, qk } from "@/api/queries";
import type { GpuInfo } from "@/api/types";
import { activeJobs } from "@/live/jobsReducer";
import { useLive } from "@/live/store";
import { useLiveStatus } from "@/live/LiveProvider";
import { useTheme, type Theme } from "@/lib/theme";
import { cn, formatGb, formatSeconds } from "@/lib/utils";
import { ProgressBar } from "@/components/ui/misc";
import { jobTitle } from "@/components/jobs";

export function Header() {
  return (
    <header className="flex h-14 shrink-0 items-center justify-end gap-2 border-b border-border bg-card px-4">
      <ConnectionDot />
      <SystemInfo />
      <Notifications />
      <ThemeToggle />
    </header>
  );
}

function ConnectionDot() {
  const { status } = useLiveStatus();
  const label = status === "open" ? "Live updates connected" : status === "connecting" ? "Connecting…" : "Live updates disconnected";
  return (
    <span
      title={label}
      aria-label={label}
      role="status"
      data-testid="live-status"
      data-status={status}
      className={cn(
        "mr-1 inline-block h-2 w-2 rounded-full",
        status === "open" ? "bg-success" : status === "connecting" ? "bg-warning" : "bg-destructive",
      )}
    />
  );
}

function SystemInfo() {
  const { data: status } = useQuery({ queryKey: qk.systemStatus, queryFn: fetchers.systemStatus, staleTime: 30_000 });
  const { data: health } = useQuery({ queryKey: qk.health, queryFn: fetchers.health, staleTime: 30_000 });
  const gpu = status?.gpus?.[0];
  const device = (health?.device ?? status?.device ?? "…").toUpperCase();
  const memory = gpu
    ? `${formatGb(gpu.memory_used_gb)} / ${formatGb(gpu.memory_total_gb)}`
    : status
      ? `${formatGb(status.memory.used_gb)} / ${formatGb(status.memory.total_gb)}`
      : "";
  return (
    <HoverCard.Root openDelay={150}>
      <HoverCard.Trigger asChild>
        <button
          type="button"
          data-testid="system-info"
          className="flex items-center gap-2 rounded-md px-2 py-1 text-xs text-muted-foreground hover:bg-muted"
        >
          <Cpu className="h-4 w-4" aria-hidden />
          <span className="font-medium text-foreground">{device}</span>
          <span className="hidden max-w-48 truncate sm:inline">{gpu?.name ?? health?.gpu ?? status?.cpu.name ?? ""}</span>
          {memory && <span className="hidden lg:inline">· {memory}</span>}
        </button>
      </HoverCard.Trigger>
      <HoverCard.Portal>
        <HoverCard.Content
          sideOffset={6}
          className="z-50 w-72 rounded-lg border border-border bg-card p-3 text-xs shadow-lg"
          data-testid="system-details"
        >
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
            <dt className="text-muted-foreground">Version</dt>
            <dd>{health?.version ?? "–"}</dd>
            <dt className="text-muted-foreground">Device</dt>
            <dd>{device}</dd>
            {status && (
              <>
                <dt className="text-muted-foreground">CPU</dt>
                <dd>
                  {status.cpu.name} · {status.cpu.cores} cores · {Math.round(status.cpu.percent)}%
                </dd>
                <dt className="text-muted-foreground">Memory</dt>
                <dd>
                  {formatGb(status.memory.used_gb)} used of {formatGb(status.memory.total_gb)} ({Math.round(status.memory.percent)}%)
                </dd>
              </>
            )}
            {status?.gpus.map((g) => (
              <GpuRow key={g.index} gpu={g} />
            ))}
            <dt className="text-muted-foreground">Loaded</dt>
            <dd>{health?.loaded_models?.length ? health.loaded_models.join(", ") : "no model in memory"}</dd>
          </dl>
        </HoverCard.Content>
      </HoverCard.Portal>
    </HoverCard.Root>
  );
}

function GpuRow({ gpu }: { gpu: GpuInfo }) {
  return (
    <>
      <dt className="text-muted-foreground">GPU {gpu.index}</dt>
      <dd>
        {gpu.name}
        {gpu.memory_total_gb ? ` · ${formatGb(gpu.memory_used_gb)} / ${formatGb(gpu.memory_total_gb)}` : ""}
        {gpu.unified_memory ? " (unified)" : ""}
        {gpu.utilization_percent != null ? ` · ${gpu.utilization_percent}%` : ""}
        {gpu.temperature_c != null ? ` · ${gpu.temperature_c}°C` : ""}
      </dd>
    </>
  );
}

function Notifications() {
  const jobs = useLive((s) => s.jobs);
  const active = useMemo(() => activeJobs({ jobs, previews: {}, downloads: {}, loadedModels: [] }), [jobs]);
  return (
    <Popover.Root>
      <Popover.Trigger asChild>
        <button
          type="button"
          aria-label={`Active jobs: ${active.length}`}
          data-testid="notifications"
          className="relative rounded-md p-2 hover:bg-muted"
        >
          <Bell className="h-4 w-4" aria-hidden />
          {active.length > 0 && (
            <span
              data-testid="active-count"
              className="absolute -right-0.5 -top-0.5 min-w-4 rounded-full bg-primary px-1 text-[10px] font-semibold text-primary-foreground"
            >
              {active.length}
            </span>
          )}
        </button>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content sideOffset={6} align="end" className="z-50 w-80 rounded-lg border border-border bg-card p-2 shadow-lg">
          <div className="px-2 py-1 text-xs font-semibold text-muted-foreground">Active jobs</div>
          {active.length === 0 ? (
            <p className="px-2 py-3 text-sm text-muted-foreground">Nothing running.</p>
          ) : (
            <ul className="max-h-80 space-y-1 overflow-auto">
              {active.map((j) => (
                <li key={j.id}>
                  <Popover.Close asChild>
                    <Link to={`/queue/${j.id}`} className="block rounded-md px-2 py-2 hover:bg-muted">
                      <div className="flex justify-between text-xs">
                        <span className="truncate font-medium">{jobTitle(j)}</span>
                        <span className="text-muted-foreground">{j.status === "queued" ? "queued" : `${Math.round(j.progress)}%`}</span>
                      </div>
                      <div className="mt-1 text-[11px] text-muted-foreground">
                        {j.kind_label} · {j.stage_label}
                        {j.total_steps ? ` · ${j.step}/${j.total_steps}` : ""}
                        {j.eta_seconds != null ? ` · ETA ${formatSeconds(j.eta_seconds)}` : ""}
                      </div>
                      <ProgressBar value={j.progress} className="mt-1 h-1" label={`${jobTitle(j)} progress`} />
                    </Link>
                  </Popover.Close>
                </li>
              ))}
            </ul>
          )}
          <Popover.Close asChild>
            <Link to="/queue" className="mt-1 block rounded-md px-2 py-1 text-center text-xs text-primary hover:bg-muted">
              Open the queue
            </Link>
          </Popover.Close>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

const THEMES: { value: Theme; label: string; icon: typeof Sun }[] = [
  { value: "light", label: "Light", icon: Sun },
  { value: "dark", label: "Dark", icon: Moon },
  { value: "system", label: "System", icon: Monitor },
];

export function ThemeToggle() {
  const [theme, setTheme] = useTheme();
  return (
    <div role="radiogroup" aria-label="Theme" className="flex rounded-md bg-muted p-0.5" data-testid="theme-toggle">
      {THEMES.map(({ value, label, icon: Icon }) => (
        <button
          key={value}
          type="button"
          role="radio"
          aria-checked={theme === value}
          aria-label={`${label} theme`}
          title={`${label} theme`}
          onClick={() => setTheme(value)}
          className={cn("rounded p-1.5", theme === value ? "bg-card text-primary shadow-sm" : "text-muted-foreground")}
        >
          <Icon className="h-3.5 w-3.5" aria-hidden />
        </button>
      ))}
    </div>
  );
}
