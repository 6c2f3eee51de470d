/**
 * `[2]` → a Markdown link to citation 2 (`#cite-2`), for the numbers that are citations. Not in
 * code (fenced blocks and spans), and not in quoted lines: an answer quotes its sources behind
 * `>`, and a `[1]` there is the source's own (R's `[1] "es"`, an essay's footnote), not ours.
 */
export function linkCitations(text: string, citations: number[]): string {
  const known = new Set(citations);
  const link = (s: string): string => s.replace(/\[(\d{1,2})\](?!\()/g, (m, n: string) => (known.has(Number(n)) ? `[\\[${n}\\]](#cite-${n})` : m));
  const prose = (part: string): string =>
    part
      .split('\n')
      .map((line) => {
        if (/^\s*>/.test(line)) return line;
        return line
          .split(/(`[^`\n]*`)/)
          .map((piece, k) => (k % 2 === 1 ? piece : link(piece)))
          .join('');
      })
      .join('\n');
  return text
    .split(/(```[\s\S]*?(?:```|$))/)
    .map((part, i) => (i % 2 === 1 ? part : prose(part)))
    .join('');
}
