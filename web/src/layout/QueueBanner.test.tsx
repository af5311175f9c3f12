import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Health } from "@/api/types";
import { QueuePausedNotice, queuePausedMessage } from "./QueueBanner";

const base = { status: "ok", version: "1", device: "cpu", gpu: null, loaded_models: [], loaded_model: null } as unknown as Health;
const paused = {
  ...base,
  status: "degraded",
  queue: { ok: false, message: "The job queue is paused: the database could not be written (database or disk is full; is the data disk full?). It resumes by itself when the problem is fixed.", since: 1 },
} as unknown as Health;

describe("the job queue banner", () => {
  it("says nothing while the queue runs, or with a server that does not report it", () => {
    expect(queuePausedMessage({ ...base, queue: { ok: true, message: null, since: null } } as unknown as Health)).toBeNull();
    expect(queuePausedMessage(base)).toBeNull();
    expect(queuePausedMessage(undefined)).toBeNull();
    expect(renderToStaticMarkup(<QueuePausedNotice message={null} />)).toBe("");
  });

  it("shows the server's sentence while the queue is paused", () => {
    const message = queuePausedMessage(paused);
    expect(message).toContain("disk is full");
    const html = renderToStaticMarkup(<QueuePausedNotice message={message} />);
    expect(html).toContain('data-testid="queue-banner"');
    expect(html).toContain("It resumes by itself when the problem is fixed.");
  });

  it("has a sentence of its own when the server gives none", () => {
    const message = queuePausedMessage({ ...base, queue: { ok: false } } as unknown as Health);
    expect(message).toMatch(/^The job queue is paused: .*disk full\?\)\. It resumes by itself/);
  });
});
