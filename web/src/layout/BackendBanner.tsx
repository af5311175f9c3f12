import { WifiOff } from "lucide-react";
import { useLiveStatus } from "@/live/LiveProvider";
import { Button } from "@/components/ui/button";

export function BackendBanner() {
  const { backendAway, reconnect } = useLiveStatus();
  if (!backendAway) return null;
  return (
    <div
      role="alert"
      data-testid="backend-banner"
      className="flex items-center gap-3 border-b border-warning/40 bg-warning/15 px-4 py-2 text-sm text-warning"
    >
      <WifiOff className="h-4 w-4" aria-hidden />
      <span className="flex-1">
        The studio's server is not reachable. Reconnecting… Work in progress continues on the server; this page
        catches up when it returns.
      </span>
      <Button size="sm" variant="outline" onClick={reconnect}>
        Retry now
      </Button>
    </div>
  );
}
