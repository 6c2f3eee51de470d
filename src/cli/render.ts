import { mapOutsideCode, stripControl, unquoteCode } from '../answer/markup';
import type { Answer } from '../answer/types';
import type { IngestReport } from '../retrieval/ingest';

/**
 * Markdown for a terminal: headings and **bold** in bold (plain without colour), quotes behind a
 * bar, code blocks indented without their fences, so a command can be copied as it is.
 */
export function terminalMarkdown(text: string, color = false): string {
  const bold = (x: string): string => (color ? `\x1b[1m${x}\x1b[0m` : x);
  const inline = (x: string): string => x.replace(/\*\*([^*\n]+)\*\*/g, (_m, b: string) => bold(b)).replace(/^#{1,6}\s+(.+)$/, (_m, h: string) => bold(h));
  const prose = (part: string): string =>
    part
      .split('\n')
      .map((l) => {
        const q = /^>\s?(.*)$/.exec(l);
        return q ? `  │ ${inline(q[1])}` : inline(l);
      })
      .join('\n');
  const code = (part: string): string =>
    part
      .split('\n')
      .filter((l) => !/^\s*(```|~~~)/.test(l))
      .map((l) => `    ${l}`)
      .join('\n');
  return mapOutsideCode(unquoteCode(text), prose, code);
}

export function renderAnswer(a: Answer, options: { color?: boolean } = {}): string {
  const dim = (s: string): string => (options.color ? `\x1b[2m${s}\x1b[0m` : s);
  // Answer text quotes documents: nothing in it may reach the terminal as a control sequence.
  const lines = [dim(stripControl(a.disclosure)), '', terminalMarkdown(stripControl(a.text), options.color)];
  if (a.citations.length > 0) {
    lines.push('', a.lang === 'zh' ? '来源：' : 'Sources:');
    for (const c of a.citations) lines.push(stripControl(`  [${c.n}] ${c.source} ${c.locator}${c.url ? ` ${c.url}` : ''}`));
  }
  if (!a.firstContact) lines.push('', dim(stripControl(a.label)));
  return lines.join('\n');
}

/** The end-of-ingest report: what was read, skipped (and why), made, and how long it took. */
export function renderIngestReport(r: IngestReport): string {
  const lines = [
    `Ingested "${r.avatar}" with ${r.embedder} in ${r.seconds.toFixed(1)} s`,
    `  files read:       ${r.filesRead} (unchanged ${r.filesUnchanged}, removed ${r.filesRemoved}, entries ${r.entries})`,
    `  units:            ${r.units}`,
    `  chunks:           +${r.chunksAdded} -${r.chunksRemoved} = ${r.totalChunks} total (${r.duplicatesCollapsed} near-duplicates collapsed)`,
  ];
  if (r.repaired) lines.push(`  repaired:         ${r.repaired}`);
  const red = Object.entries(r.redactions).filter(([, n]) => (n ?? 0) > 0);
  lines.push(`  redacted:         ${red.length ? red.map(([k, n]) => `${k} ${n}`).join(', ') : 'nothing'}`);
  if (r.skipped.length) {
    lines.push(`  skipped:          ${r.skipped.length}`);
    for (const s of r.skipped.slice(0, 20)) lines.push(`    - ${s.path}: ${s.reason}`);
    if (r.skipped.length > 20) lines.push(`    ... and ${r.skipped.length - 20} more`);
  }
  if (r.errors.length) {
    lines.push(`  errors:           ${r.errors.length} (the rest was ingested)`);
    for (const e of r.errors.slice(0, 20)) lines.push(`    - ${e.path}${e.position ? ` at ${e.position}` : ''}: ${e.message}`);
    if (r.errors.length > 20) lines.push(`    ... and ${r.errors.length - 20} more`);
  }
  return lines.join('\n');
}
