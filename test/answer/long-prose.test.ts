import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

// An essay as plain text whose paragraph runs on for many lines (no blank lines), so that the
// chunker cuts it into several chunks and the match sits far from the paragraph's start.
const filler = (n: number, topic: string): string[] =>
  Array.from({ length: n }, (_, i) => `Line ${i + 1} about ${topic}: the pages were small and the fonts were rendered as images back then.`);
const ESSAY = [
  'January 2012. A few hours before the acquisition was announced I took a snapshot of the site.',
  ...filler(30, 'screens'),
  "We had some well known users. Needless to say, the lingerie store got the most traffic. We charged a flat fee of $300/month for big stores, so it was a little alarming to have users who got lots of traffic.",
  ...filler(30, 'logos'),
].join('\n');

describe('an offline answer from long prose', () => {
  it('quotes the lines around the match inside a paragraph that spans several chunks, and leads with the sentence', async () => {
    const root = tmpDir();
    makeAvatar(root, 'essays', { 'essays/vw.txt': ESSAY });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    await svc.ingest('essays');
    const a = await svc.ask('essays', { question: 'How much was the flat fee for big stores per month?', viewer: LOCAL_VIEWER, conversation: 'c', actor: 'x' });
    svc.close();
    expect(a.grounded).toBe(true);
    expect(a.citations[0].text).toMatch(/We charged a flat fee of \$300\/month for big stores/);
    expect(a.citations[0].text.length).toBeLessThan(1200);
    const [lead] = a.text.split(/Quoted from/);
    expect(lead.trim()).toMatch(/^(This is the closest[^\n]*\n\n)?We charged a flat fee of \$300\/month for big stores, so it was a little alarming to have users who got lots of traffic\. \[1\]$/);
  });
});
