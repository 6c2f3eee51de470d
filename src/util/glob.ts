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

/**
 * The first of `globs` that leaves a corpus path out (avatar.yaml `exclude`), or undefined. Same
 * syntax as globMatcher; a glob with no `/` matches the last name at any depth, as in .gitignore
 * (`SOURCE.txt` covers `essays/SOURCE.txt`).
 */
export function excludeMatcher(globs: readonly string[]): (path: string) => string | undefined {
  const matchers = globs.map((glob) => ({ glob, isMatch: picomatch(glob, { dot: true, posix: true, basename: !glob.includes('/') }) }));
  return (path: string) => matchers.find((m) => m.isMatch(path))?.glob;
}

/** The reason an excluded file is reported as skipped. */
export function excludedReason(glob: string): string {
  return `excluded by avatar.yaml exclude: ${glob}`;
}
