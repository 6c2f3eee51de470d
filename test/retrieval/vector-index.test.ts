import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VectorIndex } from '../../src/retrieval/vector-index';

function randomUnit(dim: number, seed: number): number[] {
  let x = seed;
  const v = Array.from({ length: dim }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648 - 0.5;
  });
  const n = Math.hypot(...v);
  return v.map((a) => a / n);
}

describe('VectorIndex', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vec-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the nearest vector and honours the filter', () => {
    const idx = VectorIndex.create(16, 4);
    for (let i = 1; i <= 20; i++) idx.add(i, randomUnit(16, i));
    expect(idx.search(randomUnit(16, 7), 1)[0].label).toBe(7);
    expect(idx.search(randomUnit(16, 7), 3, (l) => l !== 7).map((h) => h.label)).not.toContain(7);
  });

  it('saves atomically, loads with a stamp, and rejects a truncated file', () => {
    const idx = VectorIndex.create(8, 10);
    for (let i = 1; i <= 10; i++) idx.add(i, randomUnit(8, i));
    const file = path.join(dir, 'v.hnsw');
    const stamp = idx.save(file);
    expect(VectorIndex.load(file, 8, stamp).count).toBe(10);
    fs.truncateSync(file, stamp.bytes - 10);
    expect(() => VectorIndex.load(file, 8, stamp)).toThrow(/corrupt.*truncated/);
  });

  it('rejects a vector of the wrong dimension', () => {
    const idx = VectorIndex.create(8, 10);
    expect(() => idx.add(1, [1, 2, 3])).toThrow(/3 dimensions/);
  });

  it('removes labels', () => {
    const idx = VectorIndex.create(8, 10);
    for (let i = 1; i <= 5; i++) idx.add(i, randomUnit(8, i));
    idx.remove(3);
    expect(idx.search(randomUnit(8, 3), 5).map((h) => h.label)).not.toContain(3);
  });
});
