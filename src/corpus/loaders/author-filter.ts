/** True when one of a message's author identities (address, names, platform id) is the person. */
export type AuthorMatcher = (...candidates: (string | undefined)[]) => boolean;

const ADDRESS = /[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]]+/g;

function nameTokens(s: string): string[] {
  return s
    .toLowerCase()
    .replace(/[.,;:"'()<>[\]|]/g, ' ')
    .split(/\s+/)
    .filter((t) => t !== '' && !t.includes('@'));
}

/**
 * Build a matcher for the person's aliases, case-insensitively. An alias with `@` matches that
 * exact address; any other alias matches a platform id or a name whose words include all of the
 * alias's words, in any order ("Phillip K Allen" matches "Allen, Phillip K."). A one-word alias
 * must be at least 3 characters long to match by word.
 */
export function authorMatcher(author: string | string[] | undefined): AuthorMatcher | undefined {
  const wanted = (Array.isArray(author) ? author : author ? [author] : []).map((a) => a.trim().toLowerCase()).filter((a) => a.length > 0);
  if (wanted.length === 0) return undefined;
  const addresses = wanted.filter((w) => w.includes('@'));
  const names = wanted.filter((w) => !w.includes('@')).map((w) => ({ raw: w, tokens: nameTokens(w) }));
  return (...candidates) =>
    candidates.some((c) => {
      if (!c) return false;
      const v = c.trim().toLowerCase();
      if (addresses.length > 0 && (v.match(ADDRESS) ?? []).some((a) => addresses.includes(a))) return true;
      const tokens = new Set(nameTokens(v));
      return names.some((n) => n.raw === v || (n.tokens.length > 0 && (n.tokens.length > 1 || n.tokens[0].length >= 3) && n.tokens.every((t) => tokens.has(t))));
    });
}
