import crypto from 'node:crypto';
import fs from 'node:fs';
import { UnderstudyError } from '../errors';
import { PRIVATE_FILE_MODE } from '../util/fs-atomic';
import type { Logger } from '../log';
import type { AuditEntry, AuditInput, AuditVerification } from './types';

/**
 * The audit log's integrity, kept apart from the rows it protects.
 *
 * - Each entry's hash is an HMAC-SHA256 under a key that is not in the database: AUDIT_HMAC_KEY,
 *   or else a random key generated once into `<dataDir>/audit.key` (0600). Whoever can edit
 *   state.db but not read that key cannot recompute the chain. The key file sits beside the
 *   database by default so that `npm start` works with no setup; it stops someone who gets the
 *   database alone (a copied file, a backup, SQL access), not someone with the whole data dir.
 *   Deployments that need the stronger guarantee set AUDIT_HMAC_KEY from their secret store.
 * - The head (seq + hash) is anchored outside the database: in `<dataDir>/audit.anchor.json`,
 *   rewritten on every append, and in the log stream (`audit head` at info). Deleting the
 *   newest rows leaves the chain consistent but shorter than the anchor.
 * - Chains of the first version (unkeyed SHA-256) are verified once as they are and then sealed
 *   by a keyed `audit_chain_keyed` entry whose link covers the old head; from then on the old
 *   part cannot be rewritten without breaking the keyed part.
 */
export const GENESIS = '0'.repeat(64);
export const MIGRATION_ACTION = 'audit_chain_keyed';
export const KEY_FILE = 'audit.key';
export const ANCHOR_FILE = 'audit.anchor.json';

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  avatar: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

type Hashed = Pick<AuditRow, 'seq' | 'at' | 'actor' | 'action' | 'detail'> & { avatar?: string | null };

function material(prevHash: string, e: Hashed): string {
  return JSON.stringify([prevHash, e.seq, e.at, e.actor, e.action, e.avatar ?? null, e.detail]);
}

/** The first version's unkeyed link, still needed to verify chains written before the key. */
export function legacyHash(prevHash: string, e: Hashed): string {
  return crypto.createHash('sha256').update(material(prevHash, e)).digest('hex');
}

export function keyedHash(key: Buffer, prevHash: string, e: Hashed): string {
  return crypto.createHmac('sha256', key).update(material(prevHash, e)).digest('hex');
}

export interface AuditKey {
  key: Buffer;
  source: 'env' | 'file' | 'memory';
  /** The key file existed before this start (so a chain without keyed entries is suspect). */
  existed: boolean;
}

/** AUDIT_HMAC_KEY (at least 32 characters) wins; else the key file, created 0600 when missing; in-memory stores get a throwaway key. */
export function loadAuditKey(opts: { envKey?: string; keyFile?: string }): AuditKey {
  if (opts.envKey !== undefined) {
    if (opts.envKey.length < 32) throw new UnderstudyError('CONFIG_INVALID', 'AUDIT_HMAC_KEY must be at least 32 characters (for example `openssl rand -hex 32`)');
    return { key: Buffer.from(opts.envKey, 'utf8'), source: 'env', existed: true };
  }
  if (!opts.keyFile) return { key: crypto.randomBytes(32), source: 'memory', existed: false };
  try {
    const hex = fs.readFileSync(opts.keyFile, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new UnderstudyError('CONFIG_INVALID', `${opts.keyFile} is not an audit key (64 hex characters); restore it from a backup or set AUDIT_HMAC_KEY`);
    return { key: Buffer.from(hex, 'hex'), source: 'file', existed: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const hex = crypto.randomBytes(32).toString('hex');
  // 'wx': never overwrite a key another process has just written.
  try {
    fs.writeFileSync(opts.keyFile, `${hex}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadAuditKey(opts);
    throw err;
  }
  return { key: Buffer.from(hex, 'hex'), source: 'file', existed: false };
}

export interface AuditAnchor {
  seq: number;
  hash: string;
  at: string;
}

/** The anchor, `null` when there is none, `'unreadable'` when the file is there but not an anchor. */
export function readAnchor(file: string | undefined): AuditAnchor | null | 'unreadable' {
  if (!file || !fs.existsSync(file)) return null;
  try {
    const a = JSON.parse(fs.readFileSync(file, 'utf8')) as AuditAnchor;
    return Number.isInteger(a.seq) && typeof a.hash === 'string' ? a : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Replace the anchor atomically. No fsync: it runs on every append, and an anchor that lags after a crash is tolerated (a chain longer than its anchor verifies). */
export function writeAnchor(file: string, anchor: AuditAnchor): void {
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, `${JSON.stringify(anchor)}\n`, { mode: PRIVATE_FILE_MODE });
  fs.renameSync(tmp, file);
}

export interface ChainCheck extends AuditVerification {
  /** Entries hashed with the key; 0 for an empty or not yet migrated chain. */
  keyed: number;
  head?: { seq: number; hash: string };
}

type AnchorState = AuditAnchor | null | 'unreadable' | 'none';

/** The chain's check, one row at a time, so that a long chain need not be held in memory. */
class ChainWalker {
  private prev = GENESIS;
  private n = 0;
  private keyed = 0;
  private atAnchor: string | undefined;
  private failure: ChainCheck | undefined;

  constructor(
    private readonly key: AuditKey,
    private readonly anchor: AnchorState,
  ) {}

  /** Check the next row; false once the chain is broken (the rest need not be read). */
  push(r: AuditRow): boolean {
    const broken = (reason: string): boolean => {
      this.failure = { ok: false, entries: this.n, brokenAt: r.seq, reason, keyed: this.keyed };
      return false;
    };
    const n = ++this.n;
    if (r.seq !== n) return broken(`entry ${n} is missing (sequence jumps to ${r.seq})`);
    if (r.prev_hash !== this.prev) return broken(`entry ${r.seq} does not link to the entry before it`);
    const mac = keyedHash(this.key.key, this.prev, r);
    if (this.keyed > 0 || r.hash === mac) {
      // Keyed from the first entry (a new log) or from the migration seal on; never in between.
      if (r.hash !== mac) return broken(`entry ${r.seq} was changed (its keyed hash does not match)`);
      if (this.keyed === 0 && n > 1 && r.action !== MIGRATION_ACTION) return broken(`entry ${r.seq} starts a keyed chain without the migration seal`);
      this.keyed++;
    } else if (r.hash !== legacyHash(this.prev, r)) {
      return broken(`entry ${r.seq} was changed (or hashed with another key)`);
    }
    if (typeof this.anchor === 'object' && this.anchor !== null && r.seq === this.anchor.seq) this.atAnchor = r.hash;
    this.prev = r.hash;
    return true;
  }

  /** After the last row: the chain's verdict, its head compared with the anchor. */
  result(): ChainCheck {
    if (this.failure) return this.failure;
    const { n, keyed, anchor, key } = this;
    const head = n > 0 ? { seq: n, hash: this.prev } : undefined;
    const fail = (reason: string): ChainCheck => ({ ok: false, entries: n, reason, keyed, head });
    if (anchor === 'none') return { ok: true, entries: n, keyed, head };
    if (anchor === 'unreadable') return fail('the anchor file is unreadable');
    if (anchor === null) {
      if (keyed > 0) return fail('the anchor file is missing');
      // A key that existed before, with a chain that was never keyed: the keyed entries were replaced.
      if (n > 0 && key.existed && key.source === 'file') return fail('the chain has no keyed entries although the key existed before');
      return { ok: true, entries: n, keyed, head };
    }
    if (n < anchor.seq) return fail(`the newest ${anchor.seq - n} entries were deleted (the anchor is at entry ${anchor.seq}, the chain ends at ${n})`);
    if (keyed === 0) return fail('the chain has no keyed entries although it was anchored');
    if (this.atAnchor !== anchor.hash) return fail(`entry ${anchor.seq} differs from the anchored head`);
    return { ok: true, entries: n, keyed, head };
  }
}

/** Walk the chain in order and compare its head with the anchor. */
/** `anchor` is `'none'` for a store with no files to anchor in (in-memory). */
export function verifyChain(rows: Iterable<AuditRow>, key: AuditKey, anchor: AnchorState): ChainCheck {
  const walker = new ChainWalker(key, anchor);
  for (const r of rows) if (!walker.push(r)) break;
  return walker.result();
}

/** The same over rows read page by page from a database behind a network. */
export async function verifyChainPaged(rows: AsyncIterable<AuditRow>, key: AuditKey, anchor: AnchorState): Promise<ChainCheck> {
  const walker = new ChainWalker(key, anchor);
  for await (const r of rows) if (!walker.push(r)) break;
  return walker.result();
}

/** A stored row as the port returns it. */
export function toAuditEntry(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    avatar: r.avatar ?? undefined,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** The port's answer from a chain check (without the internal counts). */
export function toVerification(v: ChainCheck): AuditVerification {
  if (v.ok) return { ok: true, entries: v.entries };
  return { ok: false, entries: v.entries, ...(v.brokenAt !== undefined ? { brokenAt: v.brokenAt } : {}), reason: v.reason };
}

/** The entry that follows `head` (undefined for an empty chain), and the row that stores it. */
export function nextEntry(key: AuditKey, head: { seq: number; hash: string } | undefined, input: AuditInput, at: string): { entry: AuditEntry; row: AuditRow } {
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS;
  const detail = JSON.stringify(input.detail ?? {});
  const hash = keyedHash(key.key, prevHash, { seq, at, actor: input.actor, action: input.action, avatar: input.avatar, detail });
  return { entry: { ...input, seq, at, prevHash, hash }, row: { seq, at, actor: input.actor, action: input.action, avatar: input.avatar ?? null, detail, prev_hash: prevHash, hash } };
}

/** The head leaves the database: the anchor file (when there is one) and the log stream, so deleting the newest rows shows. */
export function publishHead(anchorFile: string | undefined, log: Logger, entry: AuditEntry): void {
  if (anchorFile) writeAnchor(anchorFile, { seq: entry.seq, hash: entry.hash, at: entry.at });
  log.info({ audit_head: { seq: entry.seq, hash: entry.hash } }, 'audit head');
}
