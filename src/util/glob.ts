import picomatch from 'picomatch';

/**
 * A path glob matcher for visibility rules: `**` crosses folders, `*` and `?` do not, and brace
 * sets (`{hr,legal}/**`) and character classes (`[0-9]`) work. A maintained matcher, because a
 * privacy rule that silently never matches fails open. Dot files match too (`hr/**` covers
 * `hr/.env`). Paths are POSIX (`/`), as sources are stored.
 */
export function globMatcher(glob: string): (path: string) => boolean {
  const isMatch = picomatch(glob, { dot: true, posix: true });
  return (path: string) => isMatch(path);
}
