import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import type { Viewer } from '../../src/avatars/visibility';
import { windowOf } from '../../src/answer/passages';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const DM: Viewer = { platform: 'slack', surface: 'dm', userId: 'U_ASKER' };
const msg = (ts: string, text: string, user = 'U1') => ({ type: 'message', user, text, ts });

/**
 * A chat message is often one line whose point sits in the person's next message. The offline
 * answer quotes a Slack export message with the person's messages next to it that day (same day
 * file, cited to it), never across days.
 */
describe('offline answers from Slack export messages', () => {
  jest.setTimeout(60_000);

  it('quote the person\'s neighbouring messages of the same day, cited to that day file, and not those of another day', async () => {
    const root = tmpDir();
    makeAvatar(root, 'nt', {
      'hdv/users.json': JSON.stringify([
        { id: 'U1', name: 'nt', real_name: 'Neeraj' },
        { id: 'U2', name: 'kim', real_name: 'Kim' },
      ]),
      'hdv/channels.json': JSON.stringify([{ id: 'C1', name: 'general' }]),
      'hdv/general/2015-06-19.json': JSON.stringify([msg('1434700000.000100', 'Parking garage on Fannin is closed this week.')]),
      'hdv/general/2015-06-20.json': JSON.stringify([
        msg('1434800000.000100', 'The July visualization meetup moves to the Rice campus.'),
        msg('1434800060.000200', 'Room 104 in Duncan Hall, doors at 6:30.'),
        // Someone else's message that day: not quoted as part of the person's passage.
        msg('1434800120.000300', 'I think the budget for pizza is forty dollars.', 'U2'),
      ]),
      'hdv/general/2015-06-21.json': JSON.stringify([msg('1434900000.000100', 'Slides from the talk are in the shared drive.')]),
    });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    try {
      await svc.ingest('nt');
      const a = await svc.ask('nt', { question: 'Where does the July visualization meetup move to?', viewer: DM, conversation: 'c1', actor: 'x' });
      expect(a.grounded).toBe(true);
      expect(a.citations[0]).toMatchObject({ source: 'hdv/general/2015-06-20', locator: '1434800000.000100', title: '#general' });
      expect(a.citations[0].text).toContain('Rice campus');
      expect(a.citations[0].text).toContain('Room 104 in Duncan Hall');
      expect(a.text).toContain('Room 104');
      for (const c of a.citations.filter((x) => x.source === 'hdv/general/2015-06-20')) {
        expect(c.text).not.toMatch(/Fannin|Slides from the talk|pizza/);
      }
    } finally {
      svc.close();
    }
  });

  it('quote a long message the chunker cut into overlapping pieces once, its code block whole', async () => {
    const root = tmpDir();
    // A reply long enough to be cut into pieces, a Slack code block (inline fences) in the middle:
    // the piece after the cut repeats the end of the one before it.
    const check = Array.from({ length: 30 }, (_, i) => `* checking step ${i + 1} of the package build ... OK`).join('\n');
    const words = (topic: string) => Array.from({ length: 40 }, (_, i) => `${topic} remark ${i + 1} goes here.`).join(' ');
    const text = `Thanks for setting up the package. On R 3.6.3 the check with --as-cran says:\n\`\`\`${check}\n* DONE\`\`\`\n${words('Closing')} So the caller_arg NOTE is not a bug; ask on r-package-devel.`;
    makeAvatar(root, 'lr', {
      'rc/users.json': JSON.stringify([{ id: 'U1', name: 'lr', real_name: 'Lluis' }]),
      'rc/channels.json': JSON.stringify([{ id: 'C1', name: 'bug-reporting' }]),
      'rc/bug-reporting/2022-07-14.json': JSON.stringify([msg('1657792147.218319', `${words('Opening')} Is there a test package for this?`), msg('1657792200.000100', text)]),
    });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    try {
      await svc.ingest('lr');
      const pieces = svc.index('lr').chunkStore().bySource('rc/bug-reporting/2022-07-14').filter((c) => c.locator === '1657792200.000100');
      expect(pieces.length).toBeGreaterThan(1);
      // The window around the last piece reads the whole message back, as it was written.
      const index = svc.index('lr');
      const win = windowOf({ chunk: pieces[pieces.length - 1], score: 1, coverage: 1 }, { index, viewer: DM });
      const lines = win.lines.filter((l) => l.trim().length >= 12);
      expect(lines.length).toBe(new Set(lines).size);
      const fenceAt = win.lines.map((l, i) => (l.trim() === '```' ? i : -1)).filter((i) => i >= 0);
      expect(fenceAt).toHaveLength(2);
      expect(win.lines[fenceAt[0] - 1]).toMatch(/--as-cran says:$/);
      expect(win.lines[fenceAt[0] + 1]).toBe('* checking step 1 of the package build ... OK');
      expect(win.lines[fenceAt[1] - 1]).toBe('* DONE');
      // The hit's own piece is the message's last lines.
      expect(win.lines[win.hitLines![1]]).toMatch(/ask on r-package-devel\.$/);
      const a = await svc.ask('lr', { question: 'Is the caller_arg NOTE a bug, and where should I ask about it?', viewer: DM, conversation: 'c1', actor: 'x' });
      expect(a.grounded).toBe(true);
      expect(a.text).toContain('r-package-devel');
    } finally {
      svc.close();
    }
  });

  it('read a message back whole when a cut falls at its closing fence or inside lines it repeats', async () => {
    const root = tmpDir();
    // Cut right before the closing fence: the next piece starts with the fence alone (3 characters of overlap).
    const code = Array.from({ length: 6 }, (_, i) => `x${i} = compute_the_value_for_step(${i}, with = "a long argument list that runs on and on")`);
    const fenced = `Here is what I ran:\n\`\`\`\n${code.join('\n')}\n\`\`\`\nSo the warning comes from the loop, not from the package itself; I will report it.`;
    // A line repeated 8 times across a cut: the overlap is two of them, not as many as match.
    const warnings = [
      ...Array.from({ length: 10 }, (_, i) => `Checking installed package number ${i + 1} now`),
      ...Array.from({ length: 8 }, () => 'Warning: package built under R 4.3'),
      ...Array.from({ length: 12 }, (_, i) => `Rebuilding vignette number ${i + 1} of the set`),
    ].join('\n');
    makeAvatar(root, 'lr', {
      'rc/users.json': JSON.stringify([{ id: 'U1', name: 'lr', real_name: 'Lluis' }]),
      'rc/channels.json': JSON.stringify([{ id: 'C1', name: 'help' }]),
      'rc/help/2023-05-15.json': JSON.stringify([msg('1684100000.000100', fenced)]),
      'rc/help/2023-05-16.json': JSON.stringify([msg('1684200000.000100', warnings)]),
    });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    try {
      await svc.ingest('lr');
      const index = svc.index('lr');
      const lastPiece = (source: string) => {
        const pieces = index.chunkStore().bySource(source);
        expect(pieces.length).toBeGreaterThan(1);
        return windowOf({ chunk: pieces[pieces.length - 1], score: 1, coverage: 1 }, { index, viewer: DM }).lines;
      };
      const fencedLines = lastPiece('rc/help/2023-05-15');
      expect(fencedLines.filter((l) => l.trim() === '```')).toHaveLength(2);
      expect(fencedLines[fencedLines.indexOf('```') + 1]).toMatch(/^x0 = /);
      expect(fencedLines[fencedLines.lastIndexOf('```') + 1]).toMatch(/^So the warning comes from the loop/);
      const repeated = lastPiece('rc/help/2023-05-16');
      expect(repeated.filter((l) => l === 'Warning: package built under R 4.3')).toHaveLength(8);
      expect(repeated.filter((l) => l.startsWith('Rebuilding vignette'))).toHaveLength(12);
    } finally {
      svc.close();
    }
  });
});

