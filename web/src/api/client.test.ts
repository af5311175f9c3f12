import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, buildUrl, fieldErrors, onAuthRequired, onNetwork, setToken, socketUrl, toApiError } from "./client";

describe("toApiError", () => {
  it("reads the studio's {detail, field, errors} body", () => {
    const e = toApiError(422, { detail: "steps: Input should be less than or equal to 200", field: "steps", errors: [{}] });
    expect(e.status).toBe(422);
    expect(e.field).toBe("steps");
    expect(e.detail).toMatch(/less than/);
    expect(e.errors).toEqual([{}]);
  });
  it("reads FastAPI's default list-shaped detail", () => {
    const e = toApiError(422, { detail: [{ loc: ["body", "loras", 0, "weight"], msg: "too big", type: "x" }] });
    expect(e.field).toBe("loras.0.weight");
    expect(e.detail).toBe("loras.0.weight: too big");
  });
  it("copes with text and empty bodies", () => {
    expect(toApiError(502, "Bad Gateway").detail).toBe("Bad Gateway");
    expect(toApiError(500, null, "Internal Server Error").detail).toBe("500 Internal Server Error");
  });
});

describe("fieldErrors", () => {
  it("places the message under the field, without the field prefix", () => {
    const e = new ApiError(422, "width: must be a multiple of 8 for sd", "width");
    expect(fieldErrors(e)).toEqual({ width: "must be a multiple of 8 for sd" });
  });
  it("maps nested fields to their top-level field too", () => {
    const e = new ApiError(422, "loras.0.lora_id: unknown LoRA", "loras.0.lora_id");
    expect(fieldErrors(e)).toEqual({ "loras.0.lora_id": "unknown LoRA", loras: "unknown LoRA" });
  });
  it("is empty for errors without a field", () => {
    expect(fieldErrors(new ApiError(409, "already finished"))).toEqual({});
    expect(fieldErrors(new Error("x"))).toEqual({});
  });
});

describe("buildUrl", () => {
  it("drops empty values and repeats arrays", () => {
    expect(buildUrl("/api/jobs", { status: ["queued", "running"], kind: undefined, q: "", limit: 5 })).toBe(
      "/api/jobs?status=queued&status=running&limit=5",
    );
  });
});

describe("api()", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    setToken(null);
  });

  it("sends JSON and the bearer token, and parses the answer", async () => {
    setToken("s3cret");
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ job_id: "j1" }), { status: 201 }));
    vi.stubGlobal("fetch", fetchMock);
    const r = await api<{ job_id: string }>("/api/jobs", { method: "POST", body: { prompt: "x" } });
    expect(r.job_id).toBe("j1");
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer s3cret");
    expect(init.body).toBe('{"prompt":"x"}');
    expect(document.cookie).toContain("hollywool_token=s3cret");
  });

  it("marks every call with X-HollyWool, uploads and body-less writes included", async () => {
    const fetchMock = vi.fn(async () => new Response("{}", { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    const form = new FormData();
    form.append("file", new Blob(["{}"]), "w.json");
    await api("/api/comfyui/workflows", { method: "POST", body: form });
    await api("/api/models/unload", { method: "POST" });
    await api("/api/assets/a1", { method: "DELETE" });
    await api("/api/health");
    for (const call of fetchMock.mock.calls as unknown as [string, RequestInit][]) {
      expect((call[1].headers as Record<string, string>)["X-HollyWool"]).toBe("1");
    }
    const upload = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((upload.headers as Record<string, string>)["Content-Type"]).toBeUndefined(); // the browser sets the boundary
  });

  it("throws ApiError with the field on 422", async () => {
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ detail: "model: unknown model 'x'", field: "model" }), { status: 404 }));
    await expect(api("/api/jobs", { method: "POST", body: {} })).rejects.toMatchObject({ status: 404, field: "model" });
  });

  it("announces 401 so the token prompt opens", async () => {
    const seen: number[] = [];
    const off = onAuthRequired((s) => seen.push(s));
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ detail: "access token required" }), { status: 401 }));
    await expect(api("/api/health")).rejects.toBeInstanceOf(ApiError);
    expect(seen).toEqual([401]);
    off();
  });

  it("reports a network failure as offline", async () => {
    const net: boolean[] = [];
    const off = onNetwork((ok) => net.push(ok));
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = (await api("/api/health").catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.offline).toBe(true);
    expect(net).toEqual([false]);
    off();
  });
});

describe("socketUrl", () => {
  afterEach(() => setToken(null));

  it("leaves the token to the cookie, out of the URL (and so out of logs)", () => {
    setToken("s3cret");
    expect(socketUrl("/api/ws")).toBe(`ws://${location.host}/api/ws`);
  });
  it("puts the token in the query only when no cookie carries it", () => {
    setToken("s3cret");
    document.cookie = "hollywool_token=; path=/; max-age=0";
    expect(socketUrl("/api/ws")).toBe(`ws://${location.host}/api/ws?token=s3cret`);
  });
  it("has no query without a token", () => {
    expect(socketUrl("/api/ws")).toBe(`ws://${location.host}/api/ws`);
  });
});
