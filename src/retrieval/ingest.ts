import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AvatarPackage } from '../avatars/package';
import { chunkUnit } from '../corpus/chunk';
import { nearDuplicateGroups } from '../corpus/dedupe';
import { loadEntry } from '../corpus/load';
import { mergeCounts, redact, redactName, type RedactionKind } from '../corpus/redact';
import { scanCorpus, type CorpusEntry } from '../corpus/scan';
import type { LoadIssue, SkippedFile, SourceUnit } from '../corpus/types';
import { UnderstudyError } from '../errors';
import { silentLogger } from '../log';
import { AvatarIndex } from './avatar-index';
import type { ChunkStore, EntryRecord, NewChunk } from './chunk-store';
import { filesIn } from './index-files';
import { createVersion, discardVersion, publishVersion } from './index-versions';
import { LexicalIndex, Vocabulary } from './lexical-index';
import { indexTokens, searchableText } from './tokenize';

export type IngestPhase = 'scan' | 'load' | 'embed' | 'index' | 'done';

export interface IngestProgress {
  phase: IngestPhase;
  done: number;
  total: number;
  item?: string;
}

export interface IngestOptions {
  rebuild?: boolean;
  /** Keep only this person's messages in e-mail and chat sources (defaults to person.aliases). */
  author?: string;
  onProgress?: (p: IngestProgress) => void;
  log?: Logger;
  /** Embedding batch size; also the progress granularity. */
  batchSize?: number;
}

export interface IngestReport {
  avatar: string;
  embedder: string;
  entries: number;
  filesRead: number;
  filesUnchanged: number;
  filesRemoved: number;
  skipped: SkippedFile[];
  errors: LoadIssue[];
  units: number;
  chunksAdded: number;
  chunksRemoved: number;
  totalChunks: number;
  duplicatesCollapsed: number;
  redactions: Partial<Record<RedactionKind, number>>;
  seconds: number;
  /** Set when the chunk store was found damaged and this ingest rebuilt it from the corpus. */
  repaired?: string;
}

/**
 * Mixed into the hash of entries whose loader changed the units it makes from the same bytes, so
 * an index built before reloads them (an unchanged hash is never read again). `slack-days`: a
 * Slack export's messages are keyed by their day file (`<export>/<channel>/<YYYY-MM-DD>`), no
 * longer by their channel.
 */
const SLACK_UNITS_VERSION = 'slack-days';

/** The identity of an entry's content: its files' relative names and bytes (and the Slack units version for exports). */
export function hashEntry(entry: CorpusEntry): string {
  const h = crypto.createHash('sha256');
  // A zip may hold a Slack export: its units changed as well.
  if (entry.type === 'slack-export' || /\.zip$/i.test(entry.path)) h.update(`${SLACK_UNITS_VERSION}\0`);
  for (const f of [...entry.files].sort()) {
    h.update(path.relative(entry.abs, f) || path.basename(f));
    h.update('\0');
    h.update(fs.readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Redact a unit's visible text fields, returning the masked unit and what was masked. */
export function redactUnit(unit: SourceUnit, keepEmails: string[]): { unit: SourceUnit; counts: Partial<Record<RedactionKind, number>> } {
  let counts: Partial<Record<RedactionKind, number>> = {};
  const mask = (s: string | undefined): string | undefined => {
    if (s === undefined) return s;
    const r = redact(s, { keepEmails });
    counts = mergeCounts(counts, r.counts);
    return r.text;
  };
  // Source paths and titles (often the file name) are masked as names: `kyc/身份证-3101….pdf`.
  const maskName = (s: string | undefined): string | undefined => {
    if (s === undefined) return s;
    const r = redactName(s, { keepEmails });
    counts = mergeCounts(counts, r.counts);
    return r.text;
  };
  return { unit: { ...unit, source: maskName(unit.source) ?? unit.source, text: mask(unit.text) ?? '', context: mask(unit.context), title: maskName(unit.title) }, counts };
}

/**
 * Bring an avatar's index up to date with its corpus folder, as a new immutable version: the
 * current version is copied into a new directory, only entries whose content hash changed are
 * loaded and embedded into the copy, and the copy is synced and published by switching the
 * pointer (index-versions.ts). `rebuild` starts from an empty directory instead. An interrupted
 * or failed ingest leaves the published version as it was; one that changes nothing publishes
 * nothing.
 */
export async function ingestAvatar(pkg: AvatarPackage, index: AvatarIndex, options: IngestOptions = {}): Promise<IngestReport> {
  const log = options.log ?? silentLogger;
  const slug = pkg.config.slug;
  const source = options.rebuild || !index.exists() ? undefined : index.files;
  const attempt = async (copyFrom: typeof source): Promise<IngestReport> => {
    const root = index.versionsRoot;
    const { version, dir } = createVersion(root);
    try {
      if (copyFrom) {
        const to = filesIn(dir);
        for (const key of ['chunks', 'lexical', 'vectors', 'manifest'] as const) {
          if (fs.existsSync(copyFrom[key])) fs.copyFileSync(copyFrom[key], to[key], fs.constants.COPYFILE_FICLONE);
        }
      }
      const staged = AvatarIndex.pinned(dir, pkg.config, index.embedders, options.log);
      let result: { report: IngestReport; changed: boolean };
      try {
        result = await updateIndex(pkg, staged, options);
        staged.sealStore();
      } finally {
        staged.close();
      }
      if (!result.changed) discardVersion(root, version);
      else {
        publishVersion(root, version, { log });
        // This process serves the new version from its next search.
        index.refresh();
      }
      return result.report;
    } catch (err) {
      discardVersion(root, version);
      throw err;
    }
  };
  try {
    return await attempt(source);
  } catch (err) {
    if (!source || !(err instanceof UnderstudyError) || err.code !== 'INDEX_CORRUPT') throw err;
    // The corpus is the source of truth: a damaged chunks.db is rebuilt from it, not trusted.
    log.warn({ err, avatar: slug }, 'chunk store damaged; rebuilding the index from the corpus');
    return { ...(await attempt(undefined)), repaired: `${source.chunks} was damaged; rebuilt from the corpus` };
  }
}

/** The incremental ingest into a pinned (unpublished) directory. */
async function updateIndex(pkg: AvatarPackage, index: AvatarIndex, options: IngestOptions): Promise<{ report: IngestReport; changed: boolean }> {
  const started = Date.now();
  const log = options.log ?? silentLogger;
  const progress = options.onProgress ?? (() => undefined);
  const slug = pkg.config.slug;
  const aliases = pkg.config.person.aliases;
  const author = options.author ?? (aliases.length > 0 ? aliases : undefined);
  const keepEmails = aliases.filter((a) => a.includes('@'));
  const store = index.chunkStore();
  const stored = store.getMeta('embedder');
  if (stored && stored !== index.embedders.id) {
    throw new UnderstudyError('INDEX_MISMATCH', `The index of "${slug}" was built with ${stored}, not ${index.embedders.id}: run \`understudy ingest ${slug} --rebuild\`.`);
  }

  progress({ phase: 'scan', done: 0, total: 1 });
  const { entries, skipped } = fs.existsSync(pkg.corpusDir) ? scanCorpus(pkg.corpusDir, { exclude: pkg.config.exclude }) : { entries: [], skipped: [] };
  const known = store.entries();
  const changed: { entry: CorpusEntry; hash: string }[] = [];
  let unchanged = 0;
  for (const entry of entries) {
    const hash = hashEntry(entry);
    if (known.get(entry.path)?.hash === hash) unchanged++;
    else changed.push({ entry, hash });
  }
  const present = new Set(entries.map((e) => e.path));
  const removed = [...known.keys()].filter((p) => !present.has(p));

  // Load, redact and chunk what changed.
  const errors: LoadIssue[] = [];
  const allSkipped: SkippedFile[] = [...skipped];
  let redactions: Partial<Record<RedactionKind, number>> = {};
  let units = 0;
  const drafts: { entry: EntryRecord; chunks: Omit<NewChunk, 'vector'>[] }[] = [];
  for (let i = 0; i < changed.length; i++) {
    const { entry, hash } = changed[i];
    progress({ phase: 'load', done: i, total: changed.length, item: entry.path });
    const result = await loadEntry(entry, pkg.corpusDir, { author });
    errors.push(...result.errors);
    allSkipped.push(...result.skipped);
    const chunks: Omit<NewChunk, 'vector'>[] = [];
    for (const raw of result.units) {
      const { unit, counts } = redactUnit(raw, keepEmails);
      redactions = mergeCounts(redactions, counts);
      for (const d of await chunkUnit(unit)) {
        chunks.push({
          source: unit.source, kind: unit.kind, locator: d.locator, text: d.text, context: unit.context, title: unit.title,
          author: unit.author, date: unit.date, url: unit.url, visibility: unit.visibility, audience: unit.audience,
        });
      }
    }
    units += result.units.length;
    drafts.push({ entry: { path: entry.path, hash, size: entry.size, units: result.units.length, chunks: 0 }, chunks });
  }
  progress({ phase: 'load', done: changed.length, total: changed.length });

  // Collapse near-duplicates (e-mails quoting each other) against what stays and among the new.
  const replaced = new Set([...removed, ...changed.map((c) => c.entry.path)]);
  const vocab = new Vocabulary();
  const keptTexts: string[] = [];
  const keptTokens = new Map<number, Uint32Array>();
  if (drafts.some((d) => d.chunks.length > 0)) {
    for (const c of store.keptChunks(replaced)) {
      keptTexts.push(c.text);
      keptTokens.set(c.id, vocab.encode(indexTokens(searchableText(c))));
    }
  }
  const flat = drafts.flatMap((d) => d.chunks.map((c) => ({ d, c })));
  const groups = nearDuplicateGroups([...keptTexts, ...flat.map((f) => f.c.text)]);
  let duplicates = 0;
  const survivors = flat.filter((f, i) => {
    const j = keptTexts.length + i;
    const keep = groups[j] === j;
    if (!keep) duplicates++;
    return keep;
  });
  for (const d of drafts) d.chunks = [];
  for (const s of survivors) s.d.chunks.push(s.c);

  // Embed with IDF taken from the corpus as it will be after this ingest.
  const newTokens = survivors.map((s) => vocab.encode(indexTokens(searchableText(s.c))));
  const idfIndex = LexicalIndex.build([...[...keptTokens.values()].map((tokens) => ({ id: 0, tokens })), ...newTokens.map((tokens) => ({ id: 0, tokens }))], vocab);
  const embedder = index.embedders.create((t) => idfIndex.idf(t));
  const batch = options.batchSize ?? 256;
  const vectors: Float32Array[] = [];
  for (let i = 0; i < survivors.length; i += batch) {
    progress({ phase: 'embed', done: i, total: survivors.length });
    vectors.push(...(await embedder.embedDocuments(survivors.slice(i, i + batch).map((s) => searchableText(s.c)))));
  }
  progress({ phase: 'embed', done: survivors.length, total: survivors.length });
  const dims = vectors[0]?.length ?? Number(store.getMeta('dimensions') ?? '0');
  const withVectors = new Map<Omit<NewChunk, 'vector'>, NewChunk>();
  survivors.forEach((s, i) => withVectors.set(s.c, { ...s.c, vector: vectors[i] }));

  progress({ phase: 'index', done: 0, total: 1 });
  const previousVectors = known.size === 0 ? null : index.loadedVectors();
  const added = drafts.map((d) => ({ entry: { ...d.entry, chunks: d.chunks.length }, chunks: d.chunks.map((c) => withVectors.get(c) as NewChunk) }));
  const noChange = removed.length === 0 && changed.length === 0 && store.getMeta('embedder') !== undefined;
  let removedIds: number[] = [];
  if (!noChange) {
    const res = store.replaceEntries(removed, added, { embedder: index.embedders.id, dimensions: String(dims) });
    removedIds = res.removedIds;
    const tokensById = new Map(keptTokens);
    res.addedIds.forEach((id, i) => tokensById.set(id, newTokens[i]));
    // Drop the vectors we hold: the chunk store has them, and the graph is built next.
    vectors.length = 0;
    withVectors.clear();
    added.length = 0;
    index.rebuildDerived({ vectors: previousVectors, removedIds: res.removedIds, addedIds: res.addedIds }, keptTokens.size + newTokens.length > 0 ? { byId: tokensById, vocab } : undefined);
  }
  index.invalidate();
  progress({ phase: 'done', done: 1, total: 1 });

  const report: IngestReport = {
    avatar: slug,
    embedder: index.embedders.id,
    entries: entries.length,
    filesRead: changed.length,
    filesUnchanged: unchanged,
    filesRemoved: removed.length,
    skipped: allSkipped,
    errors,
    units,
    chunksAdded: survivors.length,
    chunksRemoved: removedIds.length,
    totalChunks: store.count(),
    duplicatesCollapsed: duplicates,
    redactions,
    seconds: (Date.now() - started) / 1000,
  };
  log.info({ ...report, skipped: allSkipped.length, errors: errors.length }, 'ingest finished');
  return { report, changed: !noChange };
}
