import { clsx, type ClassValue } from "clsx";
import { twMerge } from "tailwind-merge";

export function cn(...inputs: ClassValue[]): string {
  return twMerge(clsx(inputs));
}

/** "1 image", "3 images": a count with its noun (an irregular plural passed as `many`). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatGb(gb: number | null | undefined): string {
  if (gb == null || !Number.isFinite(gb) || gb <= 0) return "–";
  return gb < 1 ? `${Math.round(gb * 1024)} MB` : `${gb.toFixed(gb < 10 ? 1 : 0)} GB`;
}

export function formatSeconds(s: number | null | undefined): string {
  if (s == null || !Number.isFinite(s)) return "–";
  if (s < 1) return "<1s";
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m ? `${m}m ${sec.toString().padStart(2, "0")}s` : `${sec}s`;
}

export function formatTime(ts: number | null | undefined): string {
  if (!ts) return "–";
  return new Date(ts * 1000).toLocaleString();
}

export function relativeTime(ts: number | null | undefined, now = Date.now() / 1000): string {
  if (!ts) return "–";
  const d = Math.max(0, now - ts);
  if (d < 45) return "just now";
  if (d < 3600) return `${Math.round(d / 60)} min ago`;
  if (d < 86400) return `${Math.round(d / 3600)} h ago`;
  return new Date(ts * 1000).toLocaleDateString();
}

/** A short session title from a prompt: its first words, without trailing punctuation. */
export function titleFromPrompt(prompt: string, maxWords = 6, maxChars = 48): string {
  const words = prompt.replace(/\s+/g, " ").trim().split(" ").filter(Boolean).slice(0, maxWords);
  let title = words.join(" ").replace(/[,.;:!?-]+$/, "");
  if (title.length > maxChars) title = `${title.slice(0, maxChars - 1).trimEnd()}…`;
  return title ? title[0].toUpperCase() + title.slice(1) : "New session";
}
