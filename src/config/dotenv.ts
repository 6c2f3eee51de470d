import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { UnderstudyError } from '../errors';

/**
 * Load `<cwd>/.env` (as `.env.example` suggests) into `env`. Variables already set win, so an
 * explicit `FOO=1 npm start` overrides the file. Returns the names it set, for the log.
 */
export function loadDotEnv(cwd: string, env: NodeJS.ProcessEnv): string[] {
  const file = path.join(cwd, '.env');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UnderstudyError('FILE_UNREADABLE', `${file}: cannot read it (${(err as Error).message})`, { cause: err, details: { file } });
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
