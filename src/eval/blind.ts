/**
 * A blind test for avatars built from writing: part of the writing is held out (a deterministic
 * split by file name) and never copied into the avatar; questions whose answers are only in the
 * held-out pieces then show what the avatar does without the answer: say it has nothing (the
 * honest outcome), answer from other pieces that make the same point (supported: an expected
 * keyword is in what it retrieved), or answer from passages without it (unsupported).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UnderstudyError } from '../errors';
import type { AvatarIndex } from '../retrieval/avatar-index';
import { evaluate, matches, type EvalReport, type QaItem } from './qa';

export interface WritingSplit {
  /** Paths relative to the folder, sorted. */
  build: string[];
  heldOut: string[];
}

function filesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
    if (name.startsWith('.')) continue;
    const r = rel ? `${rel}/${name}` : name;
    const st = fs.lstatSync(path.join(dir, r));
    if (st.isDirectory()) out.push(...filesUnder(dir, r));
    else if (st.isFile()) out.push(r);
  }
  return out;
}

/**
 * Hold out `share` of the files (at least one, at most all but one), chosen by a hash of each
 * relative path: the same folder always splits the same way, whatever the machine or order.
 */
export function splitWritings(files: readonly string[], share: number): WritingSplit {
  if (!(share > 0 && share < 1)) throw new UnderstudyError('INPUT_INVALID', `--hold-out must be a share between 0 and 1 (e.g. 0.2), got ${share}`);
  if (files.length < 2) throw new UnderstudyError('INPUT_INVALID', `--hold-out needs at least two files to split, got ${files.length}`);
  const ranked = [...files].sort((a, b) => hash(a).localeCompare(hash(b)) || a.localeCompare(b));
  const n = Math.min(files.length - 1, Math.max(1, Math.round(files.length * share)));
  const held = new Set(ranked.slice(0, n));
  return { build: files.filter((f) => !held.has(f)).sort(), heldOut: [...held].sort() };
}

function hash(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

/**
 * Copy the build part of a writings folder to `<stagingRoot>/<folder name>/` (so the avatar's
 * corpus paths are the same as with the whole folder) and return the split.
 */
export function stageBuildSplit(from: string, share: number, stagingRoot: string): WritingSplit & { staged: string } {
  let st: fs.Stats;
  try {
    st = fs.statSync(from);
  } catch {
    throw new UnderstudyError('FILE_UNREADABLE', `--from ${from}: no such file or folder`, { details: { file: from } });
  }
  if (!st.isDirectory()) throw new UnderstudyError('INPUT_INVALID', `--hold-out splits a folder of writings by file; --from ${from} is a file`, { details: { file: from } });
  const split = splitWritings(filesUnder(from), share);
  const staged = path.join(stagingRoot, path.basename(from));
  for (const rel of split.build) {
    fs.mkdirSync(path.dirname(path.join(staged, rel)), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(from, rel), path.join(staged, rel));
  }
  return { ...split, staged };
}

export interface BlindMetrics {
  /** Answerable questions whose every expected source is missing from the avatar's corpus. */
  questions: number;
  /** The avatar answered (grounded) from other pieces. */
  answered: number;
  /** Answered, and an expected keyword is in a retrieved passage: the point recurs elsewhere. */
  supported: number;
  /** Said it has nothing on it. */
  abstained: number;
  /** Answered with passages that do not contain the expected answer. */
  unsupported: number;
}

export interface BlindReport {
  blind: BlindMetrics;
  /** Ordinary metrics on the questions whose sources are in the corpus (the build split). */
  inCorpus?: EvalReport;
  rows: { question: string; expected: string[]; grounded: boolean; supported: boolean; got: string[] }[];
}

/** Whether a QA source is among the indexed sources (by path, or by file name for flattened copies). */
function present(source: string, indexed: readonly string[]): boolean {
  const base = path.basename(source);
  return indexed.some((s) => matches(s, source) || s.endsWith(`/${source}`) || path.basename(s.split('#')[0]) === base);
}

export async function blindEvaluate(index: AvatarIndex, items: readonly QaItem[]): Promise<BlindReport> {
  const indexed = index.chunkStore().sourceCounts().map((s) => s.source);
  const blindItems = items.filter((i) => i.answerable && i.sources.length > 0 && !i.sources.some((s) => present(s, indexed)));
  const rest = items.filter((i) => !blindItems.includes(i));
  const rows: BlindReport['rows'] = [];
  for (const item of blindItems) {
    const res = await index.search(item.question, { k: 5 });
    const text = res.hits.map((h) => h.chunk.text.toLowerCase()).join('\n');
    const supported = res.grounded && item.keywords.some((k) => text.includes(k.toLowerCase()));
    rows.push({ question: item.question, expected: item.sources, grounded: res.grounded, supported, got: [...new Set(res.hits.map((h) => h.chunk.source))] });
  }
  const answered = rows.filter((r) => r.grounded).length;
  const supported = rows.filter((r) => r.supported).length;
  return {
    blind: { questions: rows.length, answered, supported, abstained: rows.length - answered, unsupported: answered - supported },
    inCorpus: rest.length ? await evaluate(index, rest, 'hybrid', true) : undefined,
    rows,
  };
}

export function formatBlind(r: BlindReport): string {
  const b = r.blind;
  const pct = (n: number) => (b.questions ? `${((100 * n) / b.questions).toFixed(1)}%` : 'n/a');
  const lines = [
    `blind (answers only in held-out writing)  n=${b.questions}  answered ${pct(b.answered)}  supported ${pct(b.supported)}  abstained ${pct(b.abstained)}  unsupported answers ${pct(b.unsupported)}`,
  ];
  if (!b.questions) lines.push('  no question points only at writing missing from this avatar: build it with --hold-out, then run this set again');
  if (r.inCorpus) {
    const m = r.inCorpus.all;
    lines.push(`in the corpus (build split)  n=${m.questions}  R@1 ${(m.recallAt1 * 100).toFixed(1)}%  R@5 ${(m.recallAt5 * 100).toFixed(1)}%  MRR ${m.mrr.toFixed(3)}  abstain-ok ${(m.abstentionAccuracy * 100).toFixed(1)}%  false-abstain ${(m.falseAbstention * 100).toFixed(1)}%`);
  }
  return lines.join('\n');
}
