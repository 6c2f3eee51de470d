import fs from 'node:fs';
import path from 'node:path';
import { SKILL_FILE } from '../avatars/package';
import { UnderstudyError } from '../errors';
import { writeFileAtomic } from '../util/fs-atomic';

export interface VersionMeta {
  version: number;
  createdAt: string;
  reason: 'distill' | 'redistill' | 'correction' | 'rollback' | 'manual';
  by: string;
  evidence: number;
  changes: string[];
}

export const VERSIONS_DIR = 'versions';

function pad(n: number): string {
  return String(n).padStart(3, '0');
}

export function listVersions(avatarDir: string): VersionMeta[] {
  const dir = path.join(avatarDir, VERSIONS_DIR);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((d) => /^\d{3,}$/.test(d))
    .map((d) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(dir, d, 'meta.json'), 'utf8')) as VersionMeta;
      } catch {
        return { version: Number(d), createdAt: '', reason: 'manual', by: 'unknown', evidence: 0, changes: [] } as VersionMeta;
      }
    })
    .sort((a, b) => a.version - b.version);
}

export function readVersion(avatarDir: string, version: number): string {
  const file = path.join(avatarDir, VERSIONS_DIR, pad(version), SKILL_FILE);
  if (!fs.existsSync(file)) {
    const have = listVersions(avatarDir).map((v) => v.version);
    throw new UnderstudyError('INPUT_INVALID', `No version ${version} of this skill. Versions: ${have.length ? have.join(', ') : 'none yet'}.`);
  }
  return fs.readFileSync(file, 'utf8');
}

/** Save `markdown` as the next version and as the live skill.md (both atomically). */
export function saveVersion(avatarDir: string, markdown: string, meta: Omit<VersionMeta, 'version' | 'createdAt'>): VersionMeta {
  const next = (listVersions(avatarDir).at(-1)?.version ?? 0) + 1;
  const dir = path.join(avatarDir, VERSIONS_DIR, pad(next));
  const full: VersionMeta = { ...meta, version: next, createdAt: new Date().toISOString() };
  writeFileAtomic(path.join(dir, SKILL_FILE), markdown);
  writeFileAtomic(path.join(dir, 'meta.json'), `${JSON.stringify(full, null, 2)}\n`);
  writeFileAtomic(path.join(avatarDir, SKILL_FILE), markdown);
  return full;
}

export function rollbackTo(avatarDir: string, version: number, by: string): VersionMeta {
  const text = readVersion(avatarDir, version);
  return saveVersion(avatarDir, text, { reason: 'rollback', by, evidence: (text.match(/\[e:\d+\]/g) ?? []).length, changes: [`rolled back to version ${version}`] });
}

/** A line diff (longest common subsequence): `- ` removed, `+ ` added, `  ` kept. */
export function diffLines(a: string, b: string, context = 2): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const m = x.length;
  const n = y.length;
  const lcs: Uint32Array[] = Array.from({ length: m + 1 }, () => new Uint32Array(n + 1));
  for (let i = m - 1; i >= 0; i--) for (let j = n - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < m && j < n) {
    if (x[i] === y[j]) {
      ops.push({ op: ' ', line: x[i++] });
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) ops.push({ op: '-', line: x[i++] });
    else ops.push({ op: '+', line: y[j++] });
  }
  while (i < m) ops.push({ op: '-', line: x[i++] });
  while (j < n) ops.push({ op: '+', line: y[j++] });
  const keep = ops.map((o, k) => o.op !== ' ' || ops.slice(Math.max(0, k - context), k + context + 1).some((p) => p.op !== ' '));
  const out: string[] = [];
  ops.forEach((o, k) => {
    if (keep[k]) out.push(`${o.op} ${o.line}`);
    else if (out.at(-1) !== '  ...') out.push('  ...');
  });
  return out.join('\n');
}
