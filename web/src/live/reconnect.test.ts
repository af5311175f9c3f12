import { describe, expect, it } from "vitest";
import { backoffDelay, LiveConnection, type LiveStatus, type SocketLike } from "./reconnect";

class FakeSocket implements SocketLike {
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  closed: number | null = null;
  constructor(public url: string) {}
  close(code = 1000) {
    this.closed = code;
  }
  open() {
    this.onopen?.({});
    this.onmessage?.({ data: '{"type":"hello"}' });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
}

/** Timers driven by hand: run() fires the due ones in order. */
class Clock {
  now = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  set = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  };
  clear = (id: unknown) => void this.timers.delete(id as number);
  advance(ms: number) {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = until;
  }
  get pending() {
    return this.timers.size;
  }
}

function setup(url = "ws://x/api/ws") {
  const clock = new Clock();
  const sockets: FakeSocket[] = [];
  const statuses: LiveStatus[] = [];
  const messages: unknown[] = [];
  const conn = new LiveConnection({
    url: () => url,
    createSocket: (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s;
    },
    onMessage: (d) => messages.push(d),
    onStatus: (s) => statuses.push(s),
    setTimer: clock.set,
    clearTimer: clock.clear,
    random: () => 0.5, // no jitter
    baseDelayMs: 500,
    maxDelayMs: 8000,
    silenceMs: 40_000,
  });
  return { clock, sockets, statuses, messages, conn };
}

describe("backoffDelay", () => {
  it("doubles from the base up to the cap", () => {
    const r = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 500, 8000, r))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
  });
  it("jitters within ±25 % and never exceeds the cap", () => {
    expect(backoffDelay(2, 500, 8000, () => 0)).toBe(750);
    expect(backoffDelay(2, 500, 8000, () => 1)).toBe(1250);
    expect(backoffDelay(10, 500, 8000, () => 1)).toBe(8000);
  });
});

describe("LiveConnection", () => {
  it("is open only after the server's hello, and passes messages on", () => {
    const { sockets, statuses, messages, conn } = setup();
    conn.start();
    expect(statuses).toEqual(["connecting"]);
    sockets[0].open();
    expect(conn.status).toBe("open");
    expect(messages).toEqual(['{"type":"hello"}']);
  });

  it("reconnects with growing delays and resets them after a successful connect", () => {
    const { clock, sockets, conn } = setup();
    conn.start();
    sockets[0].drop();
    expect(conn.status).toBe("closed");
    clock.advance(499);
    expect(sockets).toHaveLength(1);
    clock.advance(1);
    expect(sockets).toHaveLength(2); // after 500 ms
    sockets[1].drop();
    clock.advance(999);
    expect(sockets).toHaveLength(2);
    clock.advance(1);
    expect(sockets).toHaveLength(3); // after 1000 ms
    sockets[2].open();
    expect(conn.attempts).toBe(0);
    sockets[2].drop();
    clock.advance(500);
    expect(sockets).toHaveLength(4); // back to 500 ms
  });

  it("treats a silent socket as dead and reconnects", () => {
    const { clock, sockets, conn } = setup();
    conn.start();
    sockets[0].open();
    clock.advance(39_999);
    expect(sockets[0].closed).toBeNull();
    sockets[0].onmessage?.({ data: '{"type":"ping"}' }); // a ping re-arms the watchdog
    clock.advance(39_999);
    expect(sockets[0].closed).toBeNull();
    clock.advance(1);
    expect(sockets[0].closed).toBe(4000);
    clock.advance(500);
    expect(sockets).toHaveLength(2);
  });

  it("reports 'unauthorized' on close code 4401 and retries slowly", () => {
    const { clock, sockets, statuses, conn } = setup();
    conn.start();
    sockets[0].drop(4401);
    expect(statuses.at(-1)).toBe("unauthorized");
    clock.advance(7999);
    expect(sockets).toHaveLength(1);
    clock.advance(1);
    expect(sockets).toHaveLength(2);
  });

  it("reconnectNow skips the wait; stop ends everything", () => {
    const { clock, sockets, conn } = setup();
    conn.start();
    sockets[0].drop();
    conn.reconnectNow();
    expect(sockets).toHaveLength(2);
    conn.stop();
    expect(sockets[1].closed).toBe(1000);
    expect(conn.status).toBe("closed");
    clock.advance(60_000);
    expect(sockets).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });

  it("survives a socket constructor that throws", () => {
    const clock = new Clock();
    let calls = 0;
    const conn = new LiveConnection({
      url: () => "ws://x",
      createSocket: () => {
        calls += 1;
        throw new Error("blocked");
      },
      onMessage: () => {},
      onStatus: () => {},
      setTimer: clock.set,
      clearTimer: clock.clear,
      random: () => 0.5,
    });
    conn.start();
    clock.advance(500);
    expect(calls).toBe(2);
    conn.stop();
  });
});
