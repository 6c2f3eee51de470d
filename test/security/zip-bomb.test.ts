import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { zipFiles } from '../../src/corpus/loaders/export-files';
import { loadSlackExport } from '../../src/corpus/loaders/slack-export';
import { loadCorpus } from '../../src/corpus/load';
import { tmpDir } from '../helpers/fixtures';

const MB = 1024 * 1024;

/**
 * A zip whose members share one deflated body (so building it is cheap). `sizes` lets a member
 * declare a size other than what it inflates to, as a hostile archive would.
 */
function zipOf(members: { name: string; data?: Buffer; deflated?: Buffer; size?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const body = m.deflated ?? zlib.deflateRawSync(m.data ?? Buffer.alloc(0));
    const size = m.size ?? m.data?.length ?? 0;
    const crc = m.data ? zlib.crc32(m.data) : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x800, 8);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(cd, name);
    offset += local.length + name.length + body.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBuf, end]);
}

/** The bomb: under 1 MB zipped, 40 day files of 19 MB of (valid JSON) whitespace each. */
function bomb(): Buffer {
  const day = Buffer.alloc(19 * MB, 0x20);
  day.write('[]', 0);
  const deflated = zlib.deflateRawSync(day, { level: 9 });
  const members = [
    { name: 'users.json', data: Buffer.from('[{"id":"U1","name":"ann"}]') },
    { name: 'channels.json', data: Buffer.from('[{"id":"C1","name":"general"}]') },
    ...Array.from({ length: 40 }, (_, i) => ({ name: `general/2020-01-${String(i + 1).padStart(2, '0')}.json`, deflated, size: day.length })),
  ];
  return zipOf(members);
}

describe('security: zip bombs in Slack exports', () => {
  it('reads a 40 x 19 MB bomb one member at a time, within the total cap, with the rest reported', () => {
    const zip = bomb();
    expect(zip.length).toBeLessThan(1 * MB);
    global.gc?.();
    const base = process.memoryUsage().arrayBuffers;
    const files = zipFiles(zip, 20 * MB, 'ws.zip');
    // Nothing is inflated before it is read.
    expect(process.memoryUsage().arrayBuffers - base).toBeLessThan(50 * MB);
    let peak = 0;
    const read = files.read.bind(files);
    files.read = (rel) => {
      const b = read(rel);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      return b;
    };
    const result = loadSlackExport(files, 'ws.zip');
    // The default cap (256 MB of JSON per archive) admits 13 of the 19 MB day files.
    expect(files.list().filter((f) => f.startsWith('general/'))).toHaveLength(13);
    expect(result.skipped.filter((s) => /total uncompressed size/.test(s.reason))).toHaveLength(27);
    expect(result.skipped[0].path).toMatch(/^ws\.zip\/general\/2020-01-14\.json$/);
    // Day files are garbage once parsed: far below the gigabyte the eager loader reached.
    expect(peak).toBeLessThan(300 * MB);
  });

  it('caps the number of members', () => {
    const members = [{ name: 'users.json', data: Buffer.from('[]') }, ...Array.from({ length: 30 }, (_, i) => ({ name: `c/2020-01-${String(i + 1).padStart(2, '0')}.json`, data: Buffer.from('[]') }))];
    const files = zipFiles(zipOf(members), 20 * MB, 'ws.zip', { maxEntries: 10 });
    expect(files.list()).toHaveLength(10);
    expect(files.skipped.some((s) => /more than 10 members/.test(s.reason))).toBe(true);
  });

  it('cuts off a member that inflates past the size its header declares', () => {
    const big = Buffer.alloc(5 * MB, 0x20);
    big.write('[]', 0);
    const zip = zipOf([
      { name: 'users.json', data: Buffer.from('[]') },
      { name: 'channels.json', data: Buffer.from('[{"id":"C1","name":"general"}]') },
      { name: 'general/2020-01-01.json', deflated: zlib.deflateRawSync(big), size: 100 },
    ]);
    const result = loadSlackExport(zipFiles(zip, 20 * MB, 'ws.zip'), 'ws.zip');
    expect(result.errors.map((e) => e.message).join('\n')).toMatch(/general\/2020-01-01\.json: inflates past the 100 bytes its header declares/);
  });

  it('still loads a real Slack export zip end to end through the corpus loader', async () => {
    const root = tmpDir('zip-real-');
    const members = [
      { name: 'export/users.json', data: Buffer.from('[{"id":"U1","name":"ann","real_name":"Ann"}]') },
      { name: 'export/channels.json', data: Buffer.from('[{"id":"C1","name":"general"}]') },
      { name: 'export/general/2020-01-01.json', data: Buffer.from('[{"type":"message","user":"U1","text":"roll back first","ts":"1577836800.000100"}]') },
    ];
    fs.writeFileSync(path.join(root, 'ws.zip'), zipOf(members));
    const r = await loadCorpus(root);
    expect(r.units.map((u) => [u.source, u.text])).toEqual([['ws.zip/general/2020-01-01', 'roll back first']]);
  });
});
