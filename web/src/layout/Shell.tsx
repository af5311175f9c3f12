import { NavLink, Outlet } from "react-router-dom";
import { Boxes, Cloud, FileText, Film, Layers, Image as ImageIcon, LayoutGrid, ListOrdered, Settings, Workflow } from "lucide-react";
import { cn } from "@/lib/utils";
import { Header } from "./Header";
import { BackendBanner } from "./BackendBanner";
import { QueueBanner } from "./QueueBanner";
import { TokenDialog } from "./TokenDialog";

const NAV = [
  { to: "/", label: "Image", icon: ImageIcon, end: true },
  { to: "/video", label: "Video", icon: Film },
  { to: "/queue", label: "Queue", icon: ListOrdered },
  { to: "/assets", label: "Assets", icon: LayoutGrid },
  { to: "/models", label: "Models", icon: Boxes },
  { to: "/comfyui", label: "ComfyUI", icon: Workflow },
  { to: "/bulk", label: "Bulk", icon: Layers },
  { to: "/providers", label: "Providers", icon: Cloud },
  { to: "/settings", label: "Settings", icon: Settings },
  { to: "/logs", label: "Request logs", icon: FileText },
];

export function Shell() {
  return (
    <div className="flex h-full">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:p-2">
        Skip to content
      </a>
      <nav aria-label="Main" className="flex w-14 shrink-0 flex-col border-r border-border bg-card md:w-52">
        <div className="flex h-14 items-center gap-2 px-4 font-semibold">
          <img src="/favicon.svg" alt="" aria-hidden className="h-6 w-6" />
          <span className="hidden md:inline">HollyWool</span>
        </div>
        <ul className="flex flex-1 flex-col gap-1 p-2">
          {NAV.map(({ to, label, icon: Icon, end }) => (
            <li key={to}>
              <NavLink
                to={to}
                end={end}
                className={({ isActive }) =>
                  cn(
                    "flex items-center gap-3 rounded-md px-3 py-2 text-sm",
                    isActive ? "bg-accent text-primary font-medium" : "text-muted-foreground hover:bg-muted",
                  )
                }
              >
                <Icon className="h-4 w-4 shrink-0" aria-hidden />
                <span className="hidden md:inline">{label}</span>
                <span className="sr-only md:hidden">{label}</span>
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <div className="flex min-w-0 flex-1 flex-col">
        <Header />
        <BackendBanner />
        <QueueBanner />
        <main id="main" className="min-h-0 flex-1 overflow-auto p-4 md:p-6">
          <Outlet />
        </main>
      </div>
      <TokenDialog />
    </div>
  );
}
