/** Evidence anchors: `[e:12]` names chunk 12 of the avatar's chunk store. */

const ANCHOR = /\[e:(\d+)\]/g;

/** Every `[e:N]` in order, repeats included. */
export function anchorsIn(markdown: string): number[] {
  return [...markdown.matchAll(ANCHOR)].map((m) => Number(m[1]));
}

export function formatAnchors(ids: readonly number[]): string {
  return uniqueIds(ids)
    .map((id) => `[e:${id}]`)
    .join(' ');
}

/** A line's text without its anchors and trailing spaces. */
export function stripAnchors(line: string): string {
  return line.replace(/\s*\[e:\d+\]/g, '').trimEnd();
}

export function uniqueIds(ids: readonly number[]): number[] {
  return [...new Set(ids)];
}
