import fs from 'node:fs';
import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { searchableText } from '../../src/retrieval/tokenize';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

function service(root: string): AvatarService {
  return new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
}

const ts = (day: number, n = 1): string => `${1_700_000_000 + day * 86_400}.00000${n}`;

/**
 * A Slack export avatar of Lluís (U2): his reply to Nirman's question, his own thread with his
 * replies on later days, and an unrelated day.
 */
const EXPORT = {
  'acme/users.json': JSON.stringify([
    { id: 'U1', name: 'nirman', real_name: 'Nirman Narang' },
    { id: 'U2', name: 'lluis', real_name: 'Lluís Revilla' },
  ]),
  'acme/channels.json': JSON.stringify([{ id: 'C1', name: 'help' }]),
  'acme/help/2023-11-15.json': JSON.stringify([
    { type: 'message', user: 'U1', text: 'How do I enable binaries for s390x? Which CI publishes them?', ts: ts(1) },
  ]),
  'acme/help/2023-11-16.json': JSON.stringify([
    { type: 'message', user: 'U2', text: 'CRAN builds them on their own servers; otherwise install from source.', ts: ts(2), thread_ts: ts(1) },
  ]),
  'acme/help/2023-11-17.json': JSON.stringify([{ type: 'message', user: 'U2', text: 'The working group meets once a month.', ts: ts(3) }]),
  'acme/help/2023-11-18.json': JSON.stringify([
    { type: 'message', user: 'U2', text: 'tools::package_dependencies crashes the whole session on my 16GB laptop.', ts: ts(4) },
  ]),
  'acme/help/2023-11-19.json': JSON.stringify([{ type: 'message', user: 'U2', text: 'Here is the verbose output, cycle by cycle.', ts: ts(5), thread_ts: ts(4) }]),
  'acme/help/2023-11-20.json': JSON.stringify([{ type: 'message', user: 'U2', text: 'In practice I ask for fewer, with recursive = FALSE.', ts: ts(6), thread_ts: ts(4) }]),
};

async function ingested(): Promise<{ root: string; svc: AvatarService }> {
  const root = tmpDir();
  // The person's messages only (the author filter), as an avatar built from an export is.
  makeAvatar(root, 'lluis', EXPORT, '  aliases: [U2]\n');
  const svc = service(root);
  await svc.ingest('lluis');
  return { root, svc };
}

describe('a chat reply is indexed with the thread message it answers', () => {
  it("finds a reply by the asker's words, and a term only the asker used is not missing from the corpus", async () => {
    const { svc } = await ingested();
    const res = await svc.index('lluis').search('Who builds the binaries for s390x?');
    expect(res.hits[0].chunk.source).toBe('acme/help/2023-11-16');
    // The reply is his text alone; the question it answers is context, not quoted as his words.
    expect(res.hits[0].chunk.text).toBe('CRAN builds them on their own servers; otherwise install from source.');
    // s390x names a thing: before, a term of the thread the person did not write counted as absent from the corpus.
    expect(res.signals?.namedMissing).toBe(0);
    expect(res.signals?.namedFound).toBe(1);
    svc.close();
  });

  it('keeps the thread words when the index is rebuilt from the chunk store', async () => {
    const { root, svc } = await ingested();
    const { files } = svc.index('lluis');
    svc.close();
    // A stale manifest: the next load rebuilds the lexical index from the stored chunks.
    fs.writeFileSync(files.manifest, JSON.stringify({ version: 1, generation: 0 }));
    const after = service(root);
    const res = await after.index('lluis').search('Which CI publishes the s390x binaries?');
    expect(res.hits[0].chunk.source).toBe('acme/help/2023-11-16');
    expect(res.signals?.namedMissing).toBe(0);
    after.close();
  });

  it("leaves out a thread message by the reply's own author: it is indexed in its own day", async () => {
    const { svc } = await ingested();
    const res = await svc.index('lluis').search('Why does package_dependencies crash on a 16GB laptop?');
    expect(res.hits[0].chunk.source).toBe('acme/help/2023-11-18');
    // Copied into both replies, his question made each of them hold its words as fully as it does.
    expect(res.hits.filter((h) => h.coverage >= res.hits[0].coverage).map((h) => h.chunk.source)).toEqual(['acme/help/2023-11-18']);
    svc.close();
  });
});

describe('searchableText', () => {
  it('puts the thread message of a chat reply before its text, and nothing else gets its context', () => {
    const reply = { kind: 'slack', title: '#help', text: 'CRAN builds them.', context: 'Nirman Narang: binaries for s390x?', author: 'Lluís Revilla (U2)' };
    expect(searchableText(reply)).toBe('#help\nNirman Narang: binaries for s390x?\nCRAN builds them.');
    expect(searchableText({ ...reply, kind: 'feishu' })).toContain('s390x');
    expect(searchableText({ ...reply, context: 'Lluís Revilla: my own question' })).toBe('#help\nCRAN builds them.');
    // An e-mail's context is its quoted history: stripping it helped retrieval on mail.
    expect(searchableText({ ...reply, kind: 'email', title: 'Re: binaries' })).toBe('Re: binaries\nCRAN builds them.');
    expect(searchableText({ text: 'plain', title: null })).toBe('plain');
  });
});
