/** Split text into sentences in English and Chinese, keeping list items and lines whole. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\n+/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    // List items, headings and code lines stay whole: they are steps, not prose.
    if (/^([-*+]|\d+[.)、]|#{1,6}\s|`{3}|\$ |>)/.test(trimmed) || trimmed.length < 80) {
      out.push(trimmed);
      continue;
    }
    // Full-width stops end a sentence anywhere; ASCII ! and ? only before a space ("<!here>" is not a sentence end).
    const parts = trimmed.split(/(?<=[。！？]["'”’）)]*)(?![。！？"'”’）)])|(?<=[!?]["'”’)]*)\s+/).filter((p) => p.trim() !== '');
    for (const p of parts) {
      // English full stops: split on ". " followed by a capital, to keep "v1.2" and "e.g." whole.
      for (const s of p.split(/(?<=[a-z0-9)][.;])\s+(?=[A-Z"'(])/)) {
        const t = s.trim();
        if (t) out.push(t);
      }
    }
  }
  return out;
}

/** A sentence end inside a short line: `. ! ?` before a capital, a mention or a quote, or a full-width stop. */
const CHAT_SENTENCE_END = /(?<=[.!?])\s+(?=[A-Z@"'(])|(?<=[。！？；])/;

/**
 * Sentences of chat messages: as splitSentences, and the short lines it keeps whole are cut at
 * sentence ends too, since a chat line often holds two sentences and a decision is one of them.
 */
export function splitChatSentences(text: string): string[] {
  return splitSentences(text).flatMap((line) => line.split(CHAT_SENTENCE_END));
}
