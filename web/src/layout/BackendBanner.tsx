import { WifiOff } from "lucide-react";
import { useLiveStatus } from "@/live/LiveProvider";
import { Button } from "@/components/ui/button";
import { WarningBanner } from "@/components/ui/misc";

export function BackendBanner() {
  const { backendAway, reconnect } = useLiveStatus();
  if (!backendAway) return null;
  return (
    <WarningBanner testId="backend-banner" icon={<WifiOff className="h-4 w-4" aria-hidden />}>
      <span className="flex-1">
        The studio's server is not reachable. Reconnecting… Work in progress continues on the server; this page
        catches up when it returns.
      </span>
      <Button size="sm" variant="outline" onClick={reconnect}>
        Retry now
      </Button>
    </WarningBanner>
  );
}
