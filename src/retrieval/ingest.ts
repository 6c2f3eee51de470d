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
import { createStagingDir, indexFiles, recoverIndexDir, removeStagingDir, swapIndexDir } from './index-files';
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

/** The identity of an entry's content: its files' relative names and bytes. */
export function hashEntry(entry: CorpusEntry): string {
  const h = crypto.createHash('sha256');
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
 * Bring an avatar's index up to date with its corpus folder. Only entries whose content hash
 * changed are loaded and embedded. The chunk store commits in one transaction and the derived
 * files are replaced atomically, so an interrupted ingest leaves a loadable index.
 */
export async function ingestAvatar(pkg: AvatarPackage, index: AvatarIndex, options: IngestOptions = {}): Promise<IngestReport> {
  const started = Date.now();
  const log = options.log ?? silentLogger;
  const progress = options.onProgress ?? (() => undefined);
  const slug = pkg.config.slug;
  const aliases = pkg.config.person.aliases;
  const author = options.author ?? (aliases.length > 0 ? aliases : undefined);
  const keepEmails = aliases.filter((a) => a.includes('@'));

  if (options.rebuild) return rebuildBeside(pkg, index, options);
  let store: ChunkStore;
  try {
    store = index.chunkStore();
  } catch (err) {
    if (!(err instanceof UnderstudyError) || err.code !== 'INDEX_CORRUPT') throw err;
    // The corpus is the source of truth: a damaged chunks.db is rebuilt from it, not trusted.
    log.warn({ err, avatar: slug }, 'chunk store damaged; rebuilding the index from the corpus');
    return { ...(await rebuildBeside(pkg, index, options)), repaired: `${index.files.chunks} was damaged; rebuilt from the corpus` };
  }
  const stored = store.getMeta('embedder');
  if (stored && stored !== index.embedders.id) {
    throw new UnderstudyError('INDEX_MISMATCH', `The index of "${slug}" was built with ${stored}, not ${index.embedders.id}: run \`understudy ingest ${slug} --rebuild\`.`);
  }

  progress({ phase: 'scan', done: 0, total: 1 });
  const { entries, skipped } = fs.existsSync(pkg.corpusDir) ? scanCorpus(pkg.corpusDir) : { entries: [], skipped: [] };
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
  const previousVectors = options.rebuild || known.size === 0 ? null : index.loadedVectors();
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
  return report;
}

/**
 * `--rebuild` (and the repair of a damaged chunk store): build a fresh index in a staging
 * directory beside the live one and swap it in only when complete, so a killed or failed
 * rebuild leaves the old index serving instead of an empty one.
 */
async function rebuildBeside(pkg: AvatarPackage, index: AvatarIndex, options: IngestOptions): Promise<IngestReport> {
  const live = index.files.dir;
  for (const line of recoverIndexDir(live)) (options.log ?? silentLogger).warn({ avatar: pkg.config.slug }, line);
  const staging = createStagingDir(live);
  const staged = new AvatarIndex(staging, pkg.config, index.embedders, options.log);
  try {
    const report = await ingestAvatar(pkg, staged, { ...options, rebuild: false });
    staged.close();
    // Release the live files (this process reopens the new ones on the next search).
    index.close();
    swapIndexDir(indexFiles(staging, pkg.config.slug).dir, live);
    return report;
  } finally {
    staged.close();
    removeStagingDir(staging);
  }
}
