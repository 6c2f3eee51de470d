import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { writeFileAtomic } from '../util/fs-atomic';
import type { VectorFileStamp } from './vector-index';

/** Where an avatar's generated data lives: `<dataDir>/avatars/<slug>/`, never inside avatars/. */
export function avatarDataDir(dataDir: string, slug: string): string {
  return path.join(dataDir, 'avatars', slug);
}

export interface IndexFiles {
  dir: string;
  chunks: string;
  lexical: string;
  vectors: string;
  manifest: string;
}

export function indexFiles(dataDir: string, slug: string): IndexFiles {
  const dir = avatarDataDir(dataDir, slug);
  return {
    dir,
    chunks: path.join(dir, 'chunks.db'),
    lexical: path.join(dir, 'lexical.bin'),
    vectors: path.join(dir, 'vectors.hnsw'),
    manifest: path.join(dir, 'index.json'),
  };
}

/**
 * Written last, after the lexical and vector files: it names the chunk-store generation they
 * were built from and stamps each file, so a crash between writes is noticed at load.
 */
export interface IndexManifest {
  version: 1;
  generation: number;
  embedder: string;
  dimensions: number;
  chunks: number;
  lexical: VectorFileStamp;
  vectors: VectorFileStamp | null;
  builtAt: string;
}

export function readManifest(file: string): IndexManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as IndexManifest;
    return m.version === 1 ? m : undefined;
  } catch {
    return undefined;
  }
}

export function writeManifest(file: string, manifest: IndexManifest): void {
  writeFileAtomic(file, JSON.stringify(manifest, null, 2));
}

export function stampOf(buf: Uint8Array): VectorFileStamp {
  return { bytes: buf.length, crc32: zlib.crc32(buf) };
}
