import { Embeddings } from '@langchain/core/embeddings';
import { fnv1a } from '../text/hash';
import { conceptsOf } from './lexicon';
import { isCjkToken } from '../text/cjk';
import { tokenize } from './tokenize';

export const LOCAL_EMBEDDER_VERSION = 'local-hash-v1';
export const DEFAULT_LOCAL_DIMENSIONS = 384;

/** Inverse document frequency of a token; the index supplies it from the avatar's corpus. */
export type IdfLookup = (token: string) => number;

export interface LocalEmbedderOptions {
  dimensions?: number;
  idf?: IdfLookup;
}

const CONCEPT_WEIGHT = 2.0;
const TRIGRAM_WEIGHT = 0.2;
const CJK_CHAR_WEIGHT = 0.35;

/**
 * A deterministic embedder with no model and no network: signed feature hashing of word tokens,
 * CJK bigrams and characters, Latin character trigrams (for spelling variants) and bilingual
 * concept ids (for synonyms and cross-language matches), weighted by IDF and L2-normalised.
 */
export class LocalEmbedder extends Embeddings {
  readonly dimensions: number;
  private readonly idf: IdfLookup;

  constructor(options: LocalEmbedderOptions = {}) {
    super({});
    this.dimensions = options.dimensions ?? DEFAULT_LOCAL_DIMENSIONS;
    this.idf = options.idf ?? (() => 1);
  }

  /** Identity recorded in an index; a different value means vectors are not comparable. */
  get id(): string {
    return `${LOCAL_EMBEDDER_VERSION}:${this.dimensions}`;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => Array.from(this.embed(t)));
  }

  async embedQuery(text: string): Promise<number[]> {
    return Array.from(this.embed(text));
  }

  /** Synchronous core, used directly by ingest and search to skip array copies. */
  embed(text: string, tokens: readonly string[] = tokenize(text)): Float32Array {
    const v = new Float32Array(this.dimensions);
    const tf = new Map<string, number>();
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, n] of tf) {
      const w = (1 + Math.log(n)) * this.idf(t);
      this.add(v, `w:${t}`, w);
      if (isCjkToken(t)) {
        for (const ch of t) this.add(v, `c:${ch}`, w * CJK_CHAR_WEIGHT);
      } else if (t.length >= 5 && !/\d/.test(t)) {
        const padded = `^${t}$`;
        for (let i = 0; i + 3 <= padded.length; i++) this.add(v, `g:${padded.slice(i, i + 3)}`, w * TRIGRAM_WEIGHT);
      }
    }
    for (const c of conceptsOf(text, tokens)) this.add(v, `k:${c}`, CONCEPT_WEIGHT);
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
    return v;
  }

  private add(v: Float32Array, feature: string, weight: number): void {
    const h = fnv1a(feature);
    v[h % this.dimensions] += h & 0x80000000 ? -weight : weight;
  }
}
