/**
 * The websocket connection with reconnection: exponential backoff with jitter, a watchdog for a
 * silent socket (the server pings every 15 s), and no timers of its own beyond those. Every
 * dependency (socket constructor, timers, random) is injected so tests drive it by hand.
 */

export type LiveStatus = "connecting" | "open" | "closed" | "unauthorized";

export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface ConnectionDeps {
  url: () => string;
  createSocket: (url: string) => SocketLike;
  onMessage: (data: unknown) => void;
  onStatus: (status: LiveStatus, attempt: number) => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  random?: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  silenceMs?: number;
}

/** Delay before reconnect attempt `attempt` (1-based): base·2^(n-1), capped, ±25 % jitter. */
export function backoffDelay(attempt: number, base = 500, max = 10_000, random: () => number = Math.random): number {
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const jitter = raw * 0.25 * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(max, raw + jitter)));
}

export class LiveConnection {
  private socket: SocketLike | null = null;
  private retryTimer: unknown = null;
  private watchdog: unknown = null;
  private attempt = 0;
  private stopped = true;
  status: LiveStatus = "closed";
  private readonly d: Required<ConnectionDeps>;

  constructor(deps: ConnectionDeps) {
    this.d = {
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      random: Math.random,
      baseDelayMs: 500,
      maxDelayMs: 10_000,
      silenceMs: 40_000,
      ...deps,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close(1000, "bye");
    }
    this.setStatus("closed");
  }

  /** Reconnect now (the user pressed "retry", or a token was just entered). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.clearTimers();
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close(1000, "reconnect");
    }
    this.attempt = 0;
    this.connect();
  }

  get attempts(): number {
    return this.attempt;
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    this.d.onStatus(status, this.attempt);
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) this.d.clearTimer(this.retryTimer);
    if (this.watchdog !== null) this.d.clearTimer(this.watchdog);
    this.retryTimer = null;
    this.watchdog = null;
  }

  private armWatchdog(): void {
    if (this.watchdog !== null) this.d.clearTimer(this.watchdog);
    this.watchdog = this.d.setTimer(() => {
      // Silent for too long: the connection is dead even if the browser has not noticed.
      this.watchdog = null;
      const s = this.socket;
      if (s) {
        s.onclose = null;
        s.close(4000, "silent");
        this.socket = null;
      }
      this.scheduleRetry();
    }, this.d.silenceMs);
  }

  private connect(): void {
    if (this.stopped) return;
    this.setStatus("connecting");
    let socket: SocketLike;
    try {
      socket = this.d.createSocket(this.d.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.armWatchdog();
    };
    socket.onmessage = (ev) => {
      if (this.status !== "open") {
        // The server says hello first: only then is the stream live.
        this.attempt = 0;
        this.setStatus("open");
      }
      this.armWatchdog();
      this.d.onMessage(ev.data);
    };
    socket.onerror = () => {
      /* onclose follows */
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.watchdog !== null) this.d.clearTimer(this.watchdog);
      this.watchdog = null;
      if (ev.code === 4401) {
        this.attempt += 1;
        this.setStatus("unauthorized");
        this.retryTimer = this.d.setTimer(() => {
          this.retryTimer = null;
          this.connect();
        }, this.d.maxDelayMs);
        return;
      }
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.attempt += 1;
    this.setStatus("closed");
    const delay = backoffDelay(this.attempt, this.d.baseDelayMs, this.d.maxDelayMs, this.d.random);
    this.retryTimer = this.d.setTimer(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}
