/**
 * The one fetch wrapper: JSON in and out, the access token, and the backend's error body
 * ({detail, field, errors}) turned into an ApiError a form can place next to its field.
 */

export const TOKEN_KEY = "hollywool.token";
export const TOKEN_COOKIE = "hollywool_token";

export interface ValidationItem {
  loc?: (string | number)[];
  msg?: string;
  type?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly field: string | null;
  readonly errors: unknown;

  constructor(status: number, detail: string, field: string | null = null, errors: unknown = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.field = field;
    this.errors = errors;
  }

  /** A network failure (backend away), as opposed to an answer from it. */
  get offline(): boolean {
    return this.status === 0;
  }
}

function fieldFromLoc(loc: (string | number)[] | undefined): string | null {
  if (!loc) return null;
  const parts = loc.filter((p) => p !== "body" && p !== "query" && p !== "path").map(String);
  return parts.length ? parts.join(".") : null;
}

/** Build an ApiError from any error body the backend (or a proxy in front of it) may answer. */
export function toApiError(status: number, body: unknown, statusText = ""): ApiError {
  if (body && typeof body === "object") {
    const b = body as { detail?: unknown; field?: unknown; errors?: unknown; message?: unknown };
    const field = typeof b.field === "string" ? b.field : null;
    if (typeof b.detail === "string") return new ApiError(status, b.detail, field, b.errors ?? null);
    if (Array.isArray(b.detail)) {
      // FastAPI's default validation shape: [{loc, msg, type}]
      const first = b.detail[0] as ValidationItem | undefined;
      const f = field ?? fieldFromLoc(first?.loc);
      const msg = first?.msg ?? "invalid request";
      return new ApiError(status, f ? `${f}: ${msg}` : msg, f, b.detail);
    }
    if (typeof b.message === "string") return new ApiError(status, b.message, field, b.errors ?? null);
  }
  if (typeof body === "string" && body.trim() && body.length < 300) return new ApiError(status, body.trim());
  return new ApiError(status, `${status} ${statusText || "request failed"}`.trim());
}

/**
 * Map an error to form fields. The message shown next to a field drops the "field: " prefix the
 * backend puts in `detail`. Nested fields (`loras.0.weight`) map to their top-level name too.
 */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !err.field) return {};
  const prefix = `${err.field}: `;
  const message = err.detail.startsWith(prefix) ? err.detail.slice(prefix.length) : err.detail;
  const out: Record<string, string> = { [err.field]: message };
  const top = err.field.split(".")[0];
  if (!(top in out)) out[top] = message;
  return out;
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage may be disabled */
  }
  // The cookie lets <img> and <video> tags load /outputs once signed in.
  document.cookie = token
    ? `${TOKEN_COOKIE}=${encodeURIComponent(token)}; path=/; SameSite=Strict; max-age=${60 * 60 * 24 * 365}`
    : `${TOKEN_COOKIE}=; path=/; max-age=0`;
}

type Listener = (status: number) => void;
const authListeners = new Set<Listener>();
const networkListeners = new Set<(ok: boolean) => void>();

/** Called with 401 whenever the API asks for a token. */
export function onAuthRequired(fn: Listener): () => void {
  authListeners.add(fn);
  return () => authListeners.delete(fn);
}

/** Called with false when a request could not reach the backend, true when one did. */
export function onNetwork(fn: (ok: boolean) => void): () => void {
  networkListeners.add(fn);
  return () => networkListeners.delete(fn);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined | (string | number)[]>;
  signal?: AbortSignal;
}

export function buildUrl(path: string, query?: RequestOptions["query"]): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((item) => params.append(k, String(item)));
    else params.append(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Sent on every call: a custom header marks it as the studio's own page, not a cross-site form post. */
export const CSRF_HEADER = { "X-HollyWool": "1" } as const;

function tokenCookie(): string | null {
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join("="));
  }
  return null;
}

/**
 * The websocket's URL. The token goes in the query only when the cookie cannot carry it (a browser
 * sends the cookie with the handshake), so that it stays out of server and proxy logs.
 */
export function socketUrl(path: string): string {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const token = getToken();
  const query = token && tokenCookie() !== token ? `?token=${encodeURIComponent(token)}` : "";
  return `${proto}://${location.host}${path}${query}`;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...CSRF_HEADER };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.body instanceof FormData) body = opts.body;
  else if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method: opts.method ?? (body ? "POST" : "GET"),
      headers,
      body,
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
    networkListeners.forEach((fn) => fn(false));
    throw new ApiError(0, "The studio's server cannot be reached. Check that it is still running; this page reconnects by itself and keeps your settings.");
  }
  networkListeners.forEach((fn) => fn(true));
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    // A proxy answering 502/503/504 means the backend itself is away.
    if (res.status === 502 || res.status === 504) networkListeners.forEach((fn) => fn(false));
    // A 401 to a request sent before the user signed in is stale: only the current token's refusal asks again.
    if (res.status === 401 && token === getToken()) authListeners.forEach((fn) => fn(401));
    throw toApiError(res.status, data, res.statusText);
  }
  return data as T;
}

export const get = <T>(path: string, query?: RequestOptions["query"]) => api<T>(path, { query });
export const post = <T>(path: string, body?: unknown) => api<T>(path, { method: "POST", body });
export const put = <T>(path: string, body?: unknown) => api<T>(path, { method: "PUT", body });
export const del = <T>(path: string) => api<T>(path, { method: "DELETE" });

/** POST a JSON body and return the answer's bytes (an image the server makes, e.g. a control map preview). */
export async function postForBlob(path: string, body: unknown, signal?: AbortSignal): Promise<Blob> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "image/png", ...CSRF_HEADER };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(buildUrl(path), { method: "POST", headers, body: JSON.stringify(body), signal });
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
    throw new ApiError(0, "The studio's server cannot be reached.");
  }
  if (!res.ok) throw await failureOf(res);
  return res.blob();
}

/** A failed answer as an ApiError: its JSON body when it has one, else its text. */
async function failureOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  let data: unknown = text;
  try {
    data = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return toApiError(res.status, data, res.statusText);
}

/** POST a JSON body and save the file the answer carries (a zip the server streams) under its own name. */
export async function downloadFile(path: string, body: unknown, fallbackName: string): Promise<void> {
  const headers: Record<string, string> = { "Content-Type": "application/json", ...CSRF_HEADER };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "The studio's server cannot be reached.");
  }
  if (!res.ok) throw await failureOf(res);
  const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
