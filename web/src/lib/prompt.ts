/** Small edits to a prompt's text. */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether `word` already appears in `prompt` as a whole word or phrase (case does not matter). */
export function hasWord(prompt: string, word: string): boolean {
  const w = word.trim();
  if (!w) return true;
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(w)}(?![\\p{L}\\p{N}_])`, "iu").test(prompt);
}

/**
 * `prompt` with `word` appended as one more comma-separated term: nothing changes when the word is
 * already there, an empty prompt becomes the word, and a trailing comma or whitespace is reused rather
 * than doubled.
 */
export function insertWord(prompt: string, word: string): string {
  const w = word.trim();
  if (!w || hasWord(prompt, w)) return prompt;
  const head = prompt.trimEnd();
  if (!head) return w;
  return head.endsWith(",") ? `${head} ${w}` : `${head}, ${w}`;
}
