import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AvatarConfig } from '../avatars/schema';
import { LOCAL_VIEWER, VisibilityPolicy, type SourcePolicy, type Viewer } from '../avatars/visibility';
import type { Chunk } from '../corpus/types';
import { UnderstudyError } from '../errors';
import { silentLogger } from '../log';
import { writeFileAtomic } from '../util/fs-atomic';
import { ChunkStore } from './chunk-store';
import type { EmbedderFactory, IndexEmbedder } from './embedders';
import { filesIn, readManifest, removeIndexDirs, stampOf, writeManifest, type IndexFiles, type IndexManifest } from './index-files';
import { collectVersions, createVersion, discardVersion, indexRoot, legacyIndexDir, migrateLegacyIndex, publishVersion, readPointer, removeIndexRoot, versionFiles } from './index-versions';
import { LexicalIndex, Vocabulary, type WeightedTerm } from './lexical-index';
import { decide, relevanceOf, signalsOf, type AbstentionSignals } from './abstention';
import { filesOf, fuseFiles, lexicalShare, type FileScore, type Ranker } from './fusion';
import { planQuery, type ExpansionOptions } from './query';
import { indexTokens, searchableText, TOKENIZER_VERSION } from './tokenize';
import { VectorIndex } from './vector-index';
import { buildSemantic, isEnglishText, SemanticVectors, USE_LITE_ID, type SemanticStatus } from './semantic';

export type SearchMode = 'hybrid' | 'lexical' | 'vector';

export interface SearchOptions extends ExpansionOptions {
  k?: number;
  viewer?: Viewer;
  mode?: SearchMode;
  /** Candidates taken from each ranker before fusion. */
  candidates?: number;
  /** Weights of the two rankers in reciprocal-rank fusion. */
  lexicalWeight?: number;
  vectorWeight?: number;
  /** Weight of the semantic layer (USE lite) once built; 0 leaves it out. */
  semanticWeight?: number;
  /** false: search the question only as asked, even with a chat model configured. */
  rewrite?: boolean;
}

export interface SearchHit {
  chunk: Chunk;
  /** Fused reciprocal-rank score. */
  score: number;
  lexicalRank?: number;
  vectorRank?: number;
  similarity?: number;
  /** Share of the question's own terms (by IDF) found in this chunk. */
  coverage: number;
}

/**
 * How strong the evidence is when a result is grounded: 'high' = answer plainly; 'low' = the
 * evidence is middling, so the answer layer hedges ("the closest material I have, which may
 * not answer this"). Meaningless when `grounded` is false (the avatar declines).
 */
export type Confidence = 'high' | 'low';

export interface SearchResult {
  hits: SearchHit[];
  /** 0..1: how sure retrieval is that the best hit is about the question (calibrated score). */
  relevance: number;
  /** false = abstain (nothing on this); true = answer, plainly or hedged per `confidence`. */
  grounded: boolean;
  confidence: Confidence;
  expansions: string[];
  /** What abstention weighed (for evaluation and logs). */
  signals?: AbstentionSignals;
  /** The model's other phrasings of the question that were searched too (when a chat model is configured). */
  phrasings?: string[];
}

/** Reciprocal-rank constant for picking each file's best chunk across rankers. */
const RRF_K = 60;
/**
 * Reciprocal-rank constant for fusing the file rankings. At 60 the fusion is nearly flat over
 * the first ten files, so a file middling in every ranker beat one that a single ranker put
 * first: on essays USE alone found 12 of 20 paraphrased answers and the fusion only 6. Dev
 * R@5 (of 273 answerable, with SEMANTIC_WEIGHT 3): k 60 -> 216, 30 -> 218, 20 -> 223,
 * 15 -> 226, 10 -> 225 (lao-zhang -1), 5 -> 226 (lao-zhang -2).
 */
const FILE_RRF_K = 15;
/**
 * BM25 with query expansion ranks better than the hashed local vectors on every QA set we
 * have (`npm run eval`), so the local embedder gets a small say in the fusion; a model
 * embedder (OPENAI_EMBEDDING_MODEL) gets an equal one.
 */
const LEXICAL_WEIGHT = 1;
const LOCAL_VECTOR_WEIGHT = 0.3;
const MODEL_VECTOR_WEIGHT = 1;
/**
 * USE lite's say, scaled by (1 - coverage of the best lexical chunk)^2. Dev sets (short
 * runbooks, e-mail, Chinese): a fixed weight of 1 lost 2-4 questions of R@5 on three sets;
 * adaptive weight 2 kept R@5 within one question per set and lifted paraphrased R@5 20 -> 23 of 53.
 * With the sharper file fusion (FILE_RRF_K 15) weight 3 adds allen-p paraphrases (3 -> 5 of 13)
 * and essays MRR; 4 and 5 (power 3) lose one allen-p question.
 */
const SEMANTIC_WEIGHT = 3;
/** Each model-written phrasing counts this much of the question as asked. */
const REWRITE_WEIGHT = 0.6;
const SEMANTIC_ADAPTIVE_POWER = 2;
/**
 * The semantic weight is also scaled by (English share of the corpus)^8: full on English
 * corpora, next to nothing on mixed ones (0.65^8 = 0.03). Dev, powers 0/2/4/8: cross-lingual
 * R@5 of lao-zhang + lin-xiaoyu + ruanyf 13/14/16/16 of 30, R@5 178/177/177/178 of 221.
 */
const SEMANTIC_ENGLISH_POWER = 8;
/**
 * When the best lexical chunk holds under this share of the question's terms (by IDF), the
 * words failed and the lexical ranking is mostly noise: its say shrinks in proportion (and
 * with the corpus's English share, as the semantic weight does). Dev (R@5 unchanged on every
 * set): paul-graham MRR 0.660 -> 0.681, paraphrased MRR 0.231 -> 0.285; allen-p 0.702 -> 0.704;
 * 0.25 and 0.35 land between. Tried with it and dropped (R@5 equal or lower): RM3 feedback
 * terms from the top lexical chunks, Rocchio on the USE query, a file-level USE vector as a
 * third ranker, centring USE vectors, CSLS hub scaling, chunk-count correction of the USE
 * file scores (see README, Retrieval).
 */
const LOW_COVERAGE = 0.3;
/** Chunks taken from each ranker before grouping them into files. */
const CANDIDATES = 200;
/**
 * The hashed local vectors only nudge the fusion (weight 0.3): 50 neighbours at HNSW breadth
 * 128 cost a third of the default breadth 384 at 100k chunks, with the same dev figures.
 */
const VECTOR_CANDIDATES = 50;
const LOCAL_VECTOR_EF = 128;
/** A file's score: its best chunk plus this share of its second best. */
const SECOND_CHUNK_WEIGHT = 0.3;

interface Loaded {
  lexical: LexicalIndex;
  vectors: VectorIndex | null;
  embedder: IndexEmbedder;
  policies: Map<number, SourcePolicy>;
  /** Chunk id -> file number (chunks of one source file share it). */
  fileOf: Map<number, number>;
  manifest: IndexManifest;
}

/** One index version as this process holds it; searches hold a reference while they run. */
interface Version {
  /** The published version's name; undefined for a directory being built (pinned). */
  name: string | undefined;
  files: IndexFiles;
  store?: ChunkStore;
  loaded?: Loaded;
  refs: number;
  /** Superseded or closed: its store closes when the last search on it finishes. */
  retired: boolean;
}

/** How often a published index checks its pointer for a version published elsewhere. */
const POINTER_POLL_MS = 1_000;

/**
 * One avatar's searchable index: the chunk store plus derived lexical and vector structures,
 * loaded lazily on the first search and repaired from the chunk store when they are stale.
 *
 * A published index (the constructor) reads the current immutable version under
 * `<data>/indexes/<slug>/` and follows its pointer: a version published by another process is
 * picked up on the next search after a pointer check (at most once a second) or at once by
 * refresh(). The new version is loaded before it replaces the old, and searches already running
 * finish on the old one. A pinned index (AvatarIndex.pinned) is one directory being built.
 */
export class AvatarIndex {
  private active: Version | undefined;
  private checkedAt = 0;
  private migrated = false;
  private policy: VisibilityPolicy;
  private readonly root: string;
  private readonly pinnedDir: string | undefined;

  constructor(
    private readonly dataDir: string,
    private config: AvatarConfig,
    readonly embedders: EmbedderFactory,
    private readonly log: Logger = silentLogger,
    pinnedDir?: string,
  ) {
    this.policy = new VisibilityPolicy(config);
    this.pinnedDir = pinnedDir;
    this.root = pinnedDir ?? indexRoot(dataDir, config.slug);
  }

  /** An index over one unpublished version directory, written in place by ingest. */
  static pinned(dir: string, config: AvatarConfig, embedders: EmbedderFactory, log?: Logger): AvatarIndex {
    return new AvatarIndex(dir, config, embedders, log, dir);
  }

  get slug(): string {
    return this.config.slug;
  }

  /** `<data>/indexes/<slug>/` (or the pinned directory). */
  get versionsRoot(): string {
    return this.root;
  }

  /** The files of the version in use (of a directory that does not exist when nothing was published). */
  get files(): IndexFiles {
    return this.current()?.files ?? filesIn(path.join(this.root, 'unpublished'));
  }

  /** The published version in use, if any. */
  get version(): string | undefined {
    return this.current()?.name;
  }

  /** Whether anything was ever ingested for this avatar. */
  exists(): boolean {
    const v = this.current();
    return v !== undefined && fs.existsSync(v.files.chunks);
  }

  chunkStore(): ChunkStore {
    const v = this.current();
    if (!v) throw new UnderstudyError('INDEX_MISSING', `No index of "${this.slug}" is published under ${this.root}: run \`understudy ingest ${this.slug}\`.`);
    return this.storeOf(v);
  }

  private storeOf(v: Version): ChunkStore {
    v.store ??= new ChunkStore(v.files.chunks, { readonly: v.name !== undefined });
    return v.store;
  }

  /**
   * The version to use: a pinned directory, or the published one named by the pointer (checked
   * at most every POINTER_POLL_MS unless `force`). A newer version replaces the active one only
   * once loaded, when the active one was; a version that fails to load is logged and skipped.
   */
  private current(force = false): Version | undefined {
    if (this.pinnedDir !== undefined) {
      this.active ??= { name: undefined, files: filesIn(this.pinnedDir), refs: 0, retired: false };
      return this.active;
    }
    const now = Date.now();
    if (!force && this.active && now - this.checkedAt < POINTER_POLL_MS) return this.active;
    this.checkedAt = now;
    if (!this.migrated) {
      this.migrated = true;
      migrateLegacyIndex(this.dataDir, this.slug, (file) => new ChunkStore(file).seal(), this.log);
      // What killed builds left, and versions superseded long ago.
      for (const line of collectVersions(this.root)) this.log.info({ avatar: this.slug }, line);
    }
    const name = readPointer(this.root, this.log)?.version;
    if (name === this.active?.name) return this.active;
    if (name === undefined) {
      this.retire(this.active);
      this.active = undefined;
      return undefined;
    }
    const next: Version = { name, files: versionFiles(this.root, name), refs: 0, retired: false };
    if (this.active?.loaded) {
      try {
        this.loadVersion(next);
      } catch (err) {
        this.log.error({ err, avatar: this.slug, version: name }, 'cannot load the newly published index version; still serving the previous one');
        next.store?.close();
        return this.active;
      }
    }
    this.retire(this.active);
    this.active = next;
    this.log.info({ avatar: this.slug, version: name }, 'serving index version');
    return next;
  }

  /** Check the pointer now and load a newer version if one was published (after a notification). */
  refresh(): void {
    this.current(true);
  }

  private retire(v: Version | undefined): void {
    if (!v || v.retired) return;
    v.retired = true;
    if (v.refs === 0) this.closeVersion(v);
  }

  /** No search holds `v` any more: free what it loaded now (the HNSW graph is native memory V8 cannot see). */
  private closeVersion(v: Version): void {
    v.store?.close();
    v.store = undefined;
    v.loaded?.vectors?.close();
    v.loaded = undefined;
  }

  /** The loaded version for a search, held until release(). */
  private acquire(): { v: Version; L: Loaded } {
    const v = this.current();
    if (!v) throw new UnderstudyError('INDEX_MISSING', `No index of "${this.slug}" is published under ${this.root}.`);
    const L = this.loadVersion(v);
    // A stale version was repaired into a new one: use that.
    const now = this.active ?? v;
    now.refs++;
    return { v: now, L: now.loaded ?? L };
  }

  private release(v: Version): void {
    v.refs--;
    if (v.retired && v.refs === 0) this.closeVersion(v);
  }

  /** Apply a changed avatar.yaml (visibility rules) without reloading vectors. */
  updateConfig(config: AvatarConfig): void {
    this.config = config;
    this.policy = new VisibilityPolicy(config);
    const v = this.active;
    if (v?.loaded) v.loaded.policies = this.loadPolicies(this.storeOf(v));
  }

  /** Unload; searches still running finish first. The next use reopens the current version. */
  close(): void {
    this.epoch++;
    this.semantic = undefined;
    this.retire(this.active);
    this.active = undefined;
    this.checkedAt = 0;
    // It holds the lexical index it maps: kept, an unloaded index would stay in memory.
    this.docPositionCache = undefined;
  }

  /**
   * Resolves when the background semantic layer (if any) is built and fused, with a line
   * describing it (for eval and logs); undefined when there is none.
   */
  async semanticReady(): Promise<string | undefined> {
    if (!this.embedders.semantic || !this.exists()) return undefined;
    this.load();
    this.startSemantic(this.chunkStore());
    await this.semantic?.building;
    const st = this.semantic?.status;
    if (!st) return undefined;
    if (st.state !== 'ready') return `semantic layer ${st.state}${st.error ? `: ${st.error}` : ''}`;
    return `semantic layer ready: ${this.semantic?.vectors?.size ?? 0} English chunks (${st.embedded} embedded at ${st.rate.toFixed(1)} chunks/s, ${st.reused} from cache) in ${st.seconds.toFixed(1)} s`;
  }

  /** The USE cache lives beside the versions: it is keyed by chunk id and text checksum, so every version reuses it. */
  private get semanticFile(): string {
    return path.join(this.root, 'semantic.bin');
  }

  private semantic: { generation: number; building?: Promise<void>; vectors?: SemanticVectors; status?: SemanticStatus } | undefined;
  private epoch = 0;

  /** Start (or continue) the background build of the semantic layer for the store's generation. */
  private startSemantic(store: ChunkStore): void {
    const provider = this.embedders.semantic;
    if (!provider) return;
    const generation = store.generation;
    if (this.semantic?.generation === generation && this.semantic.building) return;
    const previous = this.semantic;
    const epoch = this.epoch;
    const entry: NonNullable<AvatarIndex['semantic']> = { generation, vectors: previous?.vectors };
    this.semantic = entry;
    const stopped = (): boolean => this.epoch !== epoch || this.semantic !== entry;
    entry.building = (previous?.building ?? Promise.resolve())
      .then(async () => {
        if (stopped()) return;
        const encoder = await provider.encoder();
        const { vectors, status } = await buildSemantic(this.chunkStore(), this.semanticFile, encoder, { stopped });
        entry.status = status;
        if (status.state === 'ready') {
          entry.vectors = vectors;
          this.log.info({ avatar: this.slug, chunks: vectors.size, embedded: status.embedded, reused: status.reused, chunksPerSecond: Number(status.rate.toFixed(1)) }, 'semantic layer ready');
        }
      })
      .catch((err: unknown) => {
        entry.status = { state: 'failed', embedded: 0, reused: 0, rate: 0, seconds: 0, error: err instanceof Error ? err.message : String(err) };
        this.log.warn({ err, avatar: this.slug }, 'semantic layer failed to build; searching without it');
      });
  }

  /** Forget the derived structures so the next search reloads them (after an ingest). */
  invalidate(): void {
    const v = this.active;
    if (!v) return;
    // A search running on the old structures keeps them until it ends (and the collector frees them).
    if (v.refs === 0) v.loaded?.vectors?.close();
    v.loaded = undefined;
  }

  get(id: number): Chunk | undefined {
    const v = this.current();
    return v ? this.chunkOf(v, id) : undefined;
  }

  private chunkOf(v: Version, id: number): Chunk | undefined {
    const c = this.storeOf(v).get(id);
    if (!c) return undefined;
    const p = v.loaded?.policies.get(c.id) ?? this.policy.resolve(c.source, c.visibility, c.audience, c.kind);
    return { ...c, visibility: p.visibility, audience: p.audience };
  }

  policyFor(chunk: Pick<Chunk, 'source' | 'visibility' | 'audience' | 'kind'>): SourcePolicy {
    return this.policy.resolve(chunk.source, chunk.visibility, chunk.audience, chunk.kind);
  }

  canSee(viewer: Viewer, chunk: Chunk): boolean {
    return this.policy.canSee(viewer, { visibility: chunk.visibility, audience: chunk.audience });
  }

  count(): number {
    return this.exists() ? this.chunkStore().count() : 0;
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult> {
    const empty: SearchResult = { hits: [], relevance: 0, grounded: false, confidence: 'low', expansions: [] };
    if (!this.exists() || indexTokens(query).length === 0) return empty;
    const { v, L } = this.acquire();
    try {
      return L.lexical.size === 0 ? empty : await this.searchIn(v, L, query, options);
    } finally {
      this.release(v);
    }
  }

  private async searchIn(v: Version, L: Loaded, query: string, options: SearchOptions): Promise<SearchResult> {
    const k = options.k ?? 5;
    const mode = options.mode ?? 'hybrid';
    const viewer = options.viewer ?? LOCAL_VIEWER;
    const n = options.candidates ?? Math.max(CANDIDATES, k * 4);
    const visible = (id: number): boolean => {
      if (viewer.surface === 'local') return true;
      const p = L.policies.get(id);
      return p !== undefined && this.policy.canSee(viewer, p);
    };
    const plan = planQuery(query, L.lexical, options);
    const own = plan.terms.filter((t) => t.weight === 1);
    const docPos = this.docPositions(L.lexical);
    const fileOf = (id: number): number => L.fileOf.get(id) ?? -1;
    const rankers: Ranker[] = [];
    const chunkScore = new Map<number, number>();
    const addChunks = (weight: number, ids: number[]): void => ids.forEach((id, i) => chunkScore.set(id, (chunkScore.get(id) ?? 0) + weight / (RRF_K + i + 1)));
    const similarity = new Map<number, number>();
    const lexicalRanking = (terms: WeightedTerm[]): { id: number; score: number }[] =>
      L.lexical.search(terms, n, viewer.surface === 'local' ? undefined : (doc) => visible(L.lexical.docIds[doc])).map((h) => ({ id: L.lexical.docIds[h.doc], score: h.score }));
    const local = L.manifest.embedder.startsWith('local');
    const vectorWeight = options.vectorWeight ?? (local ? LOCAL_VECTOR_WEIGHT : MODEL_VECTOR_WEIGHT);
    const vectorRanking = async (text: string): Promise<{ id: number; score: number }[]> => {
      if (!L.vectors) return [];
      const vec = L.vectors.search(await L.embedder.embedQuery(text), Math.min(n, VECTOR_CANDIDATES), viewer.surface === 'local' ? undefined : visible, local ? LOCAL_VECTOR_EF : undefined);
      for (const h of vec) similarity.set(h.label, Math.max(similarity.get(h.label) ?? -1, h.similarity));
      return vec.map((h) => ({ id: h.label, score: h.similarity }));
    };
    const sem = this.semantic?.vectors;
    const semanticRanking = async (text: string): Promise<{ id: number; score: number }[]> => {
      if (!sem || sem.size === 0 || !this.embedders.semantic || !isEnglishText(text)) return [];
      const [q] = await (await this.embedders.semantic.encoder()).embed([text]);
      return sem.search(q, n, viewer.surface === 'local' ? undefined : visible);
    };
    const add = (name: string, weight: number, hits: { id: number; score: number }[]): FileScore[] => {
      const files = filesOf(hits, fileOf, SECOND_CHUNK_WEIGHT);
      if (weight > 0 && hits.length > 0) {
        rankers.push({ name, weight, files });
        addChunks(weight, hits.map((h) => h.id));
      }
      return files;
    };

    let lexicalFiles: FileScore[] = [];
    if (mode !== 'vector') lexicalFiles = add('lexical', options.lexicalWeight ?? LEXICAL_WEIGHT, lexicalRanking(plan.terms));
    if (mode !== 'lexical' && vectorWeight > 0) add('vector', vectorWeight, await vectorRanking(query));
    // The semantic ranker speaks up most when the words failed: a question whose own terms the
    // best lexical chunk mostly holds needs no rescue (and USE on short runbooks misleads).
    const lexTop = lexicalFiles[0] ? docPos.get(lexicalFiles[0].best) : undefined;
    const lexCoverage = lexTop === undefined ? 0 : L.lexical.coverage(own, lexTop, plan.synonyms);
    // USE ranks only the English chunks: in a mixed corpus its ranking is blind to the Chinese
    // part and pushes it down, cross-lingual questions most (dev lin-xiaoyu cross-lingual R@5
    // 40% -> 10%). Its say shrinks with the corpus's non-English share.
    const englishShare = sem ? Math.min(1, sem.size / Math.max(1, L.lexical.size)) : 0;
    if (mode === 'hybrid' && sem && sem.size > 0 && options.semanticWeight !== 0 && isEnglishText(query)) {
      const keep = lexicalShare(lexCoverage, Math.pow(englishShare, SEMANTIC_ENGLISH_POWER), LOW_COVERAGE);
      for (const r of rankers) if (r.name === 'lexical') r.weight *= keep;
    }
    const semanticWeight = options.semanticWeight ?? SEMANTIC_WEIGHT * Math.pow(1 - lexCoverage, SEMANTIC_ADAPTIVE_POWER) * Math.pow(englishShare, SEMANTIC_ENGLISH_POWER);
    if (mode !== 'lexical' && semanticWeight > 0) add('semantic', semanticWeight, await semanticRanking(query));
    // With a chat model: other phrasings of the question, each searched the same ways, at a lower weight.
    const phrasings = this.embedders.rewriter && options.rewrite !== false ? await this.embedders.rewriter.rewrite(query) : [];
    for (const text of phrasings) {
      if (mode !== 'vector') add('rewrite:lexical', REWRITE_WEIGHT * (options.lexicalWeight ?? LEXICAL_WEIGHT), lexicalRanking(planQuery(text, L.lexical, options).terms));
      if (mode !== 'lexical' && vectorWeight > 0) add('rewrite:vector', REWRITE_WEIGHT * vectorWeight, await vectorRanking(text));
      if (mode !== 'lexical' && semanticWeight > 0) add('rewrite:semantic', REWRITE_WEIGHT * semanticWeight, await semanticRanking(text));
    }
    const fused = fuseFiles(rankers, FILE_RRF_K);
    const bestChunkOf = new Map<number, { id: number; score: number }>();
    for (const [id, score] of chunkScore) {
      const f = fileOf(id);
      const cur = bestChunkOf.get(f);
      if (!cur || score > cur.score) bestChunkOf.set(f, { id, score });
    }
    const hits: SearchHit[] = [];
    const used = new Set<number>();
    const pushHit = (id: number, score: number, ranks: Record<string, number>): void => {
      const chunk = this.chunkOf(v, id);
      if (!chunk) return;
      used.add(id);
      const pos = docPos.get(id);
      const coverage = pos === undefined ? 0 : L.lexical.coverage(own, pos, plan.synonyms);
      hits.push({ chunk, score, lexicalRank: ranks.lexical, vectorRank: ranks.vector, similarity: similarity.get(id), coverage });
    };
    for (const f of fused) {
      if (hits.length >= k) break;
      const best = bestChunkOf.get(f.file);
      if (best) pushHit(best.id, f.score, f.ranks);
    }
    // Fewer files than k: fill with the next best chunks.
    if (hits.length < k) {
      for (const [id, score] of [...chunkScore].sort((a, b) => b[1] - a[1])) {
        if (hits.length >= k) break;
        if (!used.has(id)) pushHit(id, score, {});
      }
    }
    const signals = signalsOf({
      question: query,
      lexical: L.lexical,
      own,
      synonyms: plan.synonyms,
      hitDocs: hits.map((h) => docPos.get(h.chunk.id)),
      hitSimilarity: hits.map((h) => h.similarity),
      lexicalFiles,
      semanticFiles: rankers.find((r) => r.name === 'semantic')?.files,
      modelEmbedder: !local,
      hitTexts: hits.map((h) => searchableText(h.chunk)),
    });
    const relevance = relevanceOf(signals);
    return { hits, relevance, ...decide(relevance), expansions: plan.expansions.map((e) => e.term), signals, ...(phrasings.length > 0 ? { phrasings } : {}) };
  }

  private docPositionCache: { index: LexicalIndex; map: Map<number, number> } | undefined;
  private docPositions(lexical: LexicalIndex): Map<number, number> {
    if (this.docPositionCache?.index !== lexical) {
      const map = new Map<number, number>();
      lexical.docIds.forEach((id, i) => map.set(id, i));
      this.docPositionCache = { index: lexical, map };
    }
    return this.docPositionCache.map;
  }

  /** Load the derived structures, repairing them from the chunk store when stale or damaged. */
  load(): Loaded {
    const v = this.current();
    if (!v) throw new UnderstudyError('INDEX_MISSING', `No index of "${this.slug}" is published under ${this.root}.`);
    this.loadVersion(v);
    return (this.active ?? v).loaded as Loaded;
  }

  private loadVersion(v: Version): Loaded {
    if (v.loaded) return v.loaded;
    const store = this.storeOf(v);
    const loaded = this.loadLexical(v, store);
    const provider = this.embedders.semantic;
    if (provider && !this.semantic) {
      // Whatever an earlier build cached is usable at once (chunks since removed are skipped).
      const cached = SemanticVectors.read(this.semanticFile, USE_LITE_ID);
      if (cached) this.semantic = { generation: -1, vectors: cached };
    }
    if (provider?.background) this.startSemantic(store);
    return loaded;
  }

  private loadLexical(v: Version, store: ChunkStore): Loaded {
    const storedEmbedder = store.getMeta('embedder');
    if (storedEmbedder && storedEmbedder !== this.embedders.id) {
      throw new UnderstudyError(
        'INDEX_MISMATCH',
        `The index of "${this.slug}" was built with embedder ${storedEmbedder}, but ${this.embedders.id} is configured. Vectors from different embedders cannot be mixed: run \`understudy ingest ${this.slug} --rebuild\`.`,
        { details: { built: storedEmbedder, configured: this.embedders.id } },
      );
    }
    const manifest = readManifest(v.files.manifest);
    if (manifest && manifest.generation === store.generation && manifest.embedder === this.embedders.id && manifest.tokenizer === TOKENIZER_VERSION) {
      try {
        v.loaded = this.loadDerived(v.files, store, manifest);
        return v.loaded;
      } catch (err) {
        this.log.warn({ avatar: this.slug, err }, 'index files damaged; rebuilding them from the chunk store');
      }
    } else if (store.count() > 0) {
      const why = manifest && manifest.tokenizer !== TOKENIZER_VERSION ? `built with tokenizer ${manifest.tokenizer ?? 'v1'}, now ${TOKENIZER_VERSION}` : 'missing or stale';
      this.log.warn({ avatar: this.slug, why }, 'index files are out of date; rebuilding them from the chunk store');
    }
    if (v.name === undefined) {
      this.rebuildDerived();
      v.loaded = this.loadDerived(v.files, store, readManifest(v.files.manifest) as IndexManifest);
      return v.loaded;
    }
    return this.repair(v);
  }

  /**
   * A published version is never changed: its derived files are rebuilt into a copy that is
   * published in its place (unless another process published a newer version meanwhile, which
   * is then used).
   */
  private repair(v: Version): Loaded {
    const name = v.name as string;
    const { version, dir } = createVersion(this.root);
    try {
      fs.copyFileSync(v.files.chunks, filesIn(dir).chunks, fs.constants.COPYFILE_FICLONE);
      const staged = AvatarIndex.pinned(dir, this.config, this.embedders, this.log);
      staged.rebuildDerived();
      staged.sealStore();
      const published = publishVersion(this.root, version, { expected: name, log: this.log });
      if (!published) discardVersion(this.root, version);
    } catch (err) {
      discardVersion(this.root, version);
      throw err;
    }
    const next = this.current(true);
    if (!next || next === v) throw new UnderstudyError('INDEX_CORRUPT', `The index files of "${this.slug}" in ${v.files.dir} are stale and could not be replaced.`);
    this.active = next;
    return this.loadVersion(next);
  }

  /** Close a pinned index for publication (its chunk store sealed). */
  sealStore(): void {
    this.active?.store?.seal();
    this.close();
  }

  private loadDerived(files: IndexFiles, store: ChunkStore, manifest: IndexManifest): Loaded {
    const buf = fs.readFileSync(files.lexical);
    const stamp = stampOf(buf);
    if (stamp.bytes !== manifest.lexical.bytes || stamp.crc32 !== manifest.lexical.crc32) {
      throw new UnderstudyError('INDEX_CORRUPT', `${files.lexical} does not match its manifest (truncated or damaged)`);
    }
    const lexical = LexicalIndex.deserialize(buf, files.lexical);
    const vectors = manifest.vectors ? VectorIndex.load(files.vectors, manifest.dimensions, manifest.vectors) : null;
    const embedder = this.embedders.create((t) => lexical.idf(t));
    const rows = store.policyRows();
    const sources = new Map<string, number>();
    const fileOf = new Map<number, number>();
    for (const r of rows) {
      let f = sources.get(r.source);
      if (f === undefined) sources.set(r.source, (f = sources.size));
      fileOf.set(r.id, f);
    }
    return { lexical, vectors, embedder, policies: this.policiesOf(rows), fileOf, manifest };
  }

  private loadPolicies(store: ChunkStore): Map<number, SourcePolicy> {
    return this.policiesOf(store.policyRows());
  }

  private policiesOf(rows: ReturnType<ChunkStore['policyRows']>): Map<number, SourcePolicy> {
    const m = new Map<number, SourcePolicy>();
    for (const r of rows) {
      m.set(r.id, this.policy.resolve(r.source, r.visibility, r.audience ? (JSON.parse(r.audience) as string[]) : undefined, r.kind));
    }
    return m;
  }

  /**
   * Rebuild the lexical and vector files from the chunk store. With `previous`, the vector
   * index is updated in place (deleted and added labels) instead of being rebuilt.
   */
  rebuildDerived(
    previous?: { vectors: VectorIndex | null; removedIds: number[]; addedIds: number[] },
    tokens?: { byId: Map<number, Uint32Array>; vocab: Vocabulary },
  ): { lexical: LexicalIndex } {
    const v = this.current();
    if (!v || v.name !== undefined) throw new UnderstudyError('INDEX_CORRUPT', `The published index of "${this.slug}" is never rebuilt in place; ingest builds a new version.`);
    const files = v.files;
    const store = this.storeOf(v);
    const vocab = tokens?.vocab ?? new Vocabulary();
    const docs: { id: number; tokens: Uint32Array }[] = [];
    const added = new Set(previous?.addedIds ?? []);
    const incremental = Boolean(previous?.vectors);
    let vectors: VectorIndex | null = incremental ? (previous?.vectors ?? null) : null;
    if (vectors) for (const id of previous?.removedIds ?? []) vectors.remove(id);
    const total = store.count();
    // Vectors go into the graph while rows stream past, so they are never all held at once.
    for (const row of store.iterateForIndex()) {
      docs.push({ id: row.id, tokens: tokens?.byId.get(row.id) ?? vocab.encode(indexTokens(searchableText(row))) });
      if (!incremental || added.has(row.id)) {
        vectors ??= VectorIndex.create(row.vector.length, total);
        vectors.add(row.id, row.vector);
      }
    }
    const dimensions = vectors?.dimensions ?? Number(store.getMeta('dimensions') ?? '0');
    const lexical = LexicalIndex.build(docs, vocab);
    if (docs.length === 0) vectors = null;
    fs.mkdirSync(files.dir, { recursive: true });
    const lexBuf = lexical.serialize();
    writeFileAtomic(files.lexical, lexBuf);
    const vecStamp = vectors ? vectors.save(files.vectors) : null;
    if (!vectors) fs.rmSync(files.vectors, { force: true });
    writeManifest(files.manifest, {
      version: 1,
      generation: store.generation,
      embedder: this.embedders.id,
      tokenizer: TOKENIZER_VERSION,
      dimensions,
      chunks: docs.length,
      lexical: stampOf(lexBuf),
      vectors: vecStamp,
      builtAt: new Date().toISOString(),
    });
    // Saved: the graph is not needed in memory until the next load (a directory being built has no searches).
    if (v.loaded?.vectors !== vectors) v.loaded?.vectors?.close();
    vectors?.close();
    v.loaded = undefined;
    return { lexical };
  }

  /** The loaded vector index, if any, for incremental updates by ingest. */
  loadedVectors(): VectorIndex | null {
    try {
      return this.load().vectors;
    } catch {
      return null;
    }
  }

  /** Delete every generated file of this avatar, every version and the legacy directory (revoke). */
  destroy(): void {
    this.close();
    if (this.pinnedDir !== undefined) {
      fs.rmSync(this.pinnedDir, { recursive: true, force: true });
      return;
    }
    removeIndexRoot(this.root);
    removeIndexDirs(legacyIndexDir(this.dataDir, this.slug));
  }
}
