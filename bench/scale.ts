import { benchScaleAvatars } from './scale-avatars';
import { benchScaleCluster } from './scale-cluster';
import type { Row } from './util';

/**
 * `npm run bench -- scale`: production mode on this machine (answers per second across worker
 * processes, ack p99 against a bare HTTP server, queue overhead; scale-cluster.ts) and many
 * avatars behind one process under the index memory budget (scale-avatars.ts).
 * `npm run bench -- scale:cluster` or `scale:avatars` runs one part.
 */
export const SCALE_PARTS = ['cluster', 'avatars'] as const;

export async function benchScale(parts: string[] = [...SCALE_PARTS]): Promise<Record<string, Row[]>> {
  const unknown = parts.filter((p) => !(SCALE_PARTS as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`unknown part ${unknown.join(', ')} of the scale benchmark: use ${SCALE_PARTS.map((p) => `scale:${p}`).join(' or ')}`);
  const out: Record<string, Row[]> = {};
  if (parts.includes('cluster')) Object.assign(out, await benchScaleCluster());
  if (parts.includes('avatars')) out.avatars = await benchScaleAvatars();
  return out;
}
