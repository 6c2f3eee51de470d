/**
 * The shape of DATABASE_URL and REDIS_URL, checked once for the config and again where the
 * connection is made. Each answers what is wrong (a phrase to follow the variable's name), or
 * undefined when the URL is usable.
 */

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** `postgres://user[:password]@host[:port]/database[?options=...]`. */
export function databaseUrlProblem(url: string): string | undefined {
  const u = parse(url);
  const expected = '(expected postgres://user:password@host:5432/database)';
  if (!u) return `is not a URL ${expected}`;
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return `has the scheme ${u.protocol.replace(/:$/, '')}, not postgres or postgresql ${expected}`;
  if (!u.hostname && !u.searchParams.get('host')) return `has no host ${expected}`;
  return undefined;
}

/** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
export function redisUrlProblem(url: string): string | undefined {
  const u = parse(url);
  const expected = '(expected redis://host:6379/0)';
  if (!u) return `is not a URL ${expected}`;
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `has the scheme ${u.protocol.replace(/:$/, '')}, not redis or rediss ${expected}`;
  if (!u.hostname) return `has no host ${expected}`;
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) return `has "${db}" where the database number goes ${expected}`;
  return undefined;
}
