/**
 * The Bulk page's reviewable prompt list: pure editing (replace with a fresh set, add, remove, edit,
 * swap one for a regenerated prompt, move), validation before a run, and the LLM request for one
 * replacement prompt that differs from the rest.
 */

export interface Variation {
  key: string;
  text: string;
}

export type VariationAction =
  | { type: "replace"; texts: string[] }
  | { type: "add"; text?: string; after?: string }
  | { type: "remove"; key: string }
  | { type: "edit"; key: string; text: string }
  | { type: "move"; key: string; delta: -1 | 1 }
  | { type: "clear" };

export const MAX_VARIATIONS = 100;
/** What one batch may hold (hollywool/bulk/service.py MAX_PROMPTS). */
export const MAX_BATCH = 500;

let counter = 0;
export const newKey = () => `v${Date.now().toString(36)}-${(counter++).toString(36)}`;

export function fromTexts(texts: string[]): Variation[] {
  return texts.map((text) => ({ key: newKey(), text }));
}

export function variationsReducer(list: Variation[], action: VariationAction): Variation[] {
  switch (action.type) {
    case "replace":
      return fromTexts(action.texts);
    case "add": {
      const item = { key: newKey(), text: action.text ?? "" };
      const at = action.after ? list.findIndex((v) => v.key === action.after) : -1;
      if (at < 0) return [...list, item];
      return [...list.slice(0, at + 1), item, ...list.slice(at + 1)];
    }
    case "remove":
      return list.filter((v) => v.key !== action.key);
    case "edit":
      return list.map((v) => (v.key === action.key ? { ...v, text: action.text } : v));
    case "move": {
      const i = list.findIndex((v) => v.key === action.key);
      const j = i + action.delta;
      if (i < 0 || j < 0 || j >= list.length) return list;
      const next = [...list];
      [next[i], next[j]] = [next[j], next[i]];
      return next;
    }
    case "clear":
      return [];
  }
}

/** The prompts a run sends: trimmed, in order. */
export const promptsOf = (list: Variation[]) => list.map((v) => v.text.trim());

/** Why the list cannot run yet, or null: empty prompts are named by their position. */
export function listProblem(list: Variation[]): string | null {
  if (list.length === 0) return "Add at least one prompt.";
  if (list.length > MAX_BATCH) return `A batch holds at most ${MAX_BATCH} prompts; remove ${list.length - MAX_BATCH}.`;
  const empty = list.flatMap((v, i) => (v.text.trim() ? [] : [i + 1]));
  if (empty.length) return `Prompt${empty.length > 1 ? "s" : ""} ${empty.join(", ")} ${empty.length > 1 ? "are" : "is"} empty: write ${empty.length > 1 ? "them" : "it"} or remove ${empty.length > 1 ? "them" : "it"}.`;
  return null;
}

/** The variation form's own checks, before asking the LLM (the server answers 422 for the same). */
export function variationFormErrors(idea: string, count: number): { base_prompt?: string; count?: string } {
  const e: { base_prompt?: string; count?: string } = {};
  if (!idea.trim()) e.base_prompt = "Describe the idea first.";
  if (!Number.isInteger(count) || count < 1 || count > MAX_VARIATIONS) e.count = `Between 1 and ${MAX_VARIATIONS}.`;
  return e;
}

/**
 * Guidance for regenerating one prompt: the user's style guidance plus the prompts already in the
 * list (a few, shortened), so the LLM writes something different from them.
 */
export function regenerateGuidance(style: string, others: string[], limit = 12): string {
  const parts = [];
  if (style.trim()) parts.push(style.trim());
  const shown = others
    .map((t) => t.trim())
    .filter(Boolean)
    .slice(0, limit)
    .map((t) => `- ${t.length > 160 ? `${t.slice(0, 159)}…` : t}`);
  if (shown.length) parts.push(`Write something clearly different from these prompts already chosen:\n${shown.join("\n")}`);
  return parts.join("\n\n");
}

const DRAFT_KEY = "hollywool.bulkDraft";

export interface BulkDraft {
  idea: string;
  count: number;
  style: string;
  list: Variation[];
}

export function loadDraft(): BulkDraft | null {
  try {
    const raw = localStorage.getItem(DRAFT_KEY);
    if (!raw) return null;
    const d = JSON.parse(raw) as Partial<BulkDraft>;
    return {
      idea: typeof d.idea === "string" ? d.idea : "",
      count: typeof d.count === "number" ? d.count : 8,
      style: typeof d.style === "string" ? d.style : "",
      list: Array.isArray(d.list) ? d.list.filter((v) => v && typeof v.text === "string").map((v) => ({ key: newKey(), text: v.text })) : [],
    };
  } catch {
    return null;
  }
}

export function saveDraft(d: BulkDraft): void {
  try {
    localStorage.setItem(DRAFT_KEY, JSON.stringify(d));
  } catch {
    /* storage may be disabled */
  }
}
