/**
 * Connects the websocket once for the whole app, feeds events into the live store and the query
 * cache, resynchronises after every (re)connect, and tells the shell whether the backend is away.
 */
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { onAuthRequired, onNetwork, socketUrl } from "@/api/client";
import { fetchers, qk } from "@/api/queries";
import { isJobStateEvent, parseEvent, type LiveEvent } from "./events";
import { LiveConnection, type LiveStatus, type SocketLike } from "./reconnect";
import { liveStore } from "./store";

export interface LiveContextValue {
  status: LiveStatus;
  /** The backend could not be reached for a while (socket down and/or requests failing). */
  backendAway: boolean;
  authRequired: boolean;
  setAuthRequired: (v: boolean) => void;
  reconnect: () => void;
}

const LiveContext = createContext<LiveContextValue>({
  status: "connecting",
  backendAway: false,
  authRequired: false,
  setAuthRequired: () => {},
  reconnect: () => {},
});

export const useLiveStatus = () => useContext(LiveContext);

const wsUrl = () => socketUrl("/api/ws");

export async function resync(qc: QueryClient): Promise<void> {
  // Everything on screen may be stale: refetch it, and rebuild the active-job list from REST.
  await qc.invalidateQueries();
  try {
    const page = await fetchers.jobs({ active_only: true, limit: 500 });
    liveStore.dispatch({ type: "sync", active: page.items });
  } catch {
    /* the banner covers it */
  }
}

export function handleEvent(qc: QueryClient, event: LiveEvent, invalidateJobs: () => void): void {
  liveStore.dispatch({ type: "event", event });
  if (isJobStateEvent(event)) {
    qc.setQueryData(qk.job(event.job_id), event.job);
    invalidateJobs();
    if (event.type === "job.completed") {
      void qc.invalidateQueries({ queryKey: ["assets"] });
      void qc.invalidateQueries({ queryKey: qk.assetModels });
      void qc.invalidateQueries({ queryKey: qk.sessions });
      if (event.job.kind !== "image") {
        void qc.invalidateQueries({ queryKey: qk.models });
        void qc.invalidateQueries({ queryKey: qk.cacheStatus });
        void qc.invalidateQueries({ queryKey: qk.downloads });
      }
    }
  } else if (event.type === "model.loaded" || event.type === "model.unloaded") {
    void qc.invalidateQueries({ queryKey: qk.health });
  }
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [networkOk, setNetworkOk] = useState(true);
  const [closedLong, setClosedLong] = useState(false);
  const [authRequired, setAuthRequired] = useState(false);
  const connRef = useRef<LiveConnection | null>(null);

  useEffect(() => onAuthRequired(() => setAuthRequired(true)), []);
  useEffect(() => onNetwork(setNetworkOk), []);

  useEffect(() => {
    let jobsTimer: ReturnType<typeof setTimeout> | null = null;
    const invalidateJobs = () => {
      if (jobsTimer) return;
      jobsTimer = setTimeout(() => {
        jobsTimer = null;
        void qc.invalidateQueries({ queryKey: ["jobs"] });
      }, 150);
    };
    const conn = new LiveConnection({
      url: wsUrl,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      onStatus: (s) => {
        setStatus(s);
        if (s === "unauthorized") setAuthRequired(true);
      },
      onMessage: (data) => {
        const event = parseEvent(data);
        if (!event) return;
        if (event.type === "hello" || event.type === "stream.overflow") {
          setNetworkOk(true);
          void resync(qc);
          return;
        }
        if (event.type === "ping") return;
        handleEvent(qc, event, invalidateJobs);
      },
    });
    connRef.current = conn;
    conn.start();
    return () => {
      conn.stop();
      if (jobsTimer) clearTimeout(jobsTimer);
    };
  }, [qc]);

  // A socket that stays closed for over a second means the backend is away, not a blip.
  useEffect(() => {
    if (status === "open" || status === "unauthorized") {
      setClosedLong(false);
      return;
    }
    const t = setTimeout(() => setClosedLong(true), 1200);
    return () => clearTimeout(t);
  }, [status]);

  const value = useMemo<LiveContextValue>(
    () => ({
      status,
      backendAway: (closedLong && status !== "open") || (!networkOk && status !== "open"),
      authRequired,
      setAuthRequired,
      reconnect: () => connRef.current?.reconnectNow(),
    }),
    [status, closedLong, networkOk, authRequired],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
