/** Matches a message's author against the person's aliases (address, name, platform id). */
export function authorMatcher(author: string | string[] | undefined): ((...candidates: (string | undefined)[]) => boolean) | undefined {
  const wanted = (Array.isArray(author) ? author : author ? [author] : [])
    .map((a) => a.trim().toLowerCase())
    .filter((a) => a.length > 0);
  if (wanted.length === 0) return undefined;
  return (...candidates) =>
    candidates.some((c) => {
      if (!c) return false;
      const v = c.toLowerCase();
      return wanted.some((w) => v === w || (w.includes('@') && v.includes(w)) || (w.length >= 3 && v.split(/[\s,<>()"]+/).includes(w)));
    });
}
