import fs from 'node:fs';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { UnderstudyError } from '../../src/errors';
import { formatBytes, scanCorpus } from '../../src/corpus/scan';
import { tmpDir, write } from '../helpers/fixtures';

const SLACK_USERS = JSON.stringify([{ id: 'U1', name: 'lz' }]);
const SLACK_CHANNELS = JSON.stringify([{ id: 'C1', name: 'general' }]);

describe('scanCorpus', () => {
  it('walks folders recursively in sorted order and ignores dotfiles and dot-folders', () => {
    const root = tmpDir();
    write(root, 'b/z.md', '# Z');
    write(root, 'b/a.txt', 'a');
    write(root, 'a.md', '# A');
    write(root, '.hidden.md', 'secret');
    write(root, '.git/config', '[core]');
    write(root, 'b/.cache/x.md', 'x');
    const { entries, skipped } = scanCorpus(root);
    expect(entries.map((e) => e.path)).toEqual(['a.md', 'b/a.txt', 'b/z.md']);
    expect(entries[1]).toEqual({ path: 'b/a.txt', abs: path.join(root, 'b/a.txt'), type: 'file', files: [path.join(root, 'b/a.txt')], size: 1 });
    expect(skipped).toEqual([]);
  });

  it('skips oversized, empty and binary files and symbolic links, each with its reason', () => {
    const root = tmpDir();
    write(root, 'ok.md', '# fine');
    write(root, 'big.txt', 'x'.repeat(2048));
    write(root, 'empty.txt', '');
    write(root, 'tool.bin', Buffer.from([1, 2, 0, 3, 4]));
    write(root, 'photo.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 0)]));
    write(root, 'noise.dat', Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0x01 : 0x41))));
    fs.symlinkSync(path.join(root, 'ok.md'), path.join(root, 'link.md'));
    const { entries, skipped } = scanCorpus(root, { maxFileBytes: 1000 });
    expect(entries.map((e) => e.path)).toEqual(['ok.md']);
    expect(skipped).toEqual([
      { path: 'big.txt', reason: 'oversized: 2 KB > 1000 B' },
      { path: 'empty.txt', reason: 'empty file' },
      { path: 'link.md', reason: 'symbolic link (not followed)' },
      { path: 'noise.dat', reason: 'binary file with no loader' },
      { path: 'photo.png', reason: 'binary file with no loader' },
      { path: 'tool.bin', reason: 'binary file with no loader' },
    ]);
  });

  it('keeps files that have a loader even though they hold NUL bytes: PDF, zip, UTF-16 text', () => {
    const root = tmpDir();
    write(root, 'doc.pdf', Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(16, 0)]));
    write(root, 'export.zip', Buffer.from(zipSync({ 'users.json': strToU8('[]') })));
    write(root, 'windows.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hello', 'utf16le')]));
    expect(scanCorpus(root).entries.map((e) => e.path)).toEqual(['doc.pdf', 'export.zip', 'windows.txt']);
  });

  it('reports a file it cannot read as unreadable', () => {
    const root = tmpDir();
    write(root, 'locked.md', '# no');
    write(root, 'open.md', '# yes');
    // Tests may run as root, where chmod 000 does not stop reads; make the open fail instead.
    const real = fs.openSync;
    const spy = jest.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      if (String(p).endsWith('locked.md')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return (real as (...a: unknown[]) => number)(p, ...rest);
    }) as typeof fs.openSync);
    try {
      const { entries, skipped } = scanCorpus(root);
      expect(entries.map((e) => e.path)).toEqual(['open.md']);
      expect(skipped).toEqual([{ path: 'locked.md', reason: 'unreadable: EACCES' }]);
    } finally {
      spy.mockRestore();
    }
  });

  it('makes a Slack export folder one entry holding all its JSON files, does not list its day files, and reports its other files', () => {
    const root = tmpDir();
    write(root, 'notes.md', '# n');
    write(root, 'exports/acme/users.json', SLACK_USERS);
    write(root, 'exports/acme/channels.json', SLACK_CHANNELS);
    write(root, 'exports/acme/general/2025-11-11.json', '[]');
    write(root, 'exports/acme/README.txt', 'not part of the export');
    const { entries, skipped } = scanCorpus(root);
    expect(entries.map((e) => [e.path, e.type])).toEqual([
      ['exports/acme', 'slack-export'],
      ['notes.md', 'file'],
    ]);
    expect(skipped).toEqual([{ path: 'exports/acme/README.txt', reason: 'inside a Slack export folder: only its JSON files are read' }]);
    const exp = entries[0];
    expect(exp.files.map((f) => path.relative(exp.abs, f))).toEqual(['channels.json', path.join('general', '2025-11-11.json'), 'users.json']);
    expect(exp.size).toBe(SLACK_USERS.length + SLACK_CHANNELS.length + 2);
  });

  it('treats a root that is itself a Slack export as one entry named "."', () => {
    const root = tmpDir();
    write(root, 'users.json', SLACK_USERS);
    write(root, 'channels.json', SLACK_CHANNELS);
    write(root, 'general/2025-11-11.json', '[]');
    expect(scanCorpus(root).entries.map((e) => [e.path, e.type, e.abs])).toEqual([['.', 'slack-export', root]]);
  });

  it('accepts a single file as the root, and throws FILE_UNREADABLE for a missing root', () => {
    const root = tmpDir();
    const file = write(root, 'mail.eml', 'From: a@x\nMessage-ID: <1@x>\n\nhi');
    expect(scanCorpus(file).entries.map((e) => e.path)).toEqual(['mail.eml']);
    expect(() => scanCorpus(path.join(root, 'nope'))).toThrow(UnderstudyError);
    expect(() => scanCorpus(path.join(root, 'nope'))).toThrow(/Corpus not found or unreadable: .*nope/);
  });

  it('formats sizes as people read them', () => {
    expect(formatBytes(Math.round(31.2 * 1024 * 1024))).toBe('31.2 MB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(999)).toBe('999 B');
  });
});
