import fs from 'node:fs';
import path from 'node:path';
import type { HistoryPage, HistoryReader } from '../../src/chat/history';
import { collectHistory, writeCollected } from '../../src/distill/collect';
import type { ConsentRequest } from '../../src/distill/consent';
import { openStateStore } from '../../src/store/sqlite-store';
import { tmpDir } from '../helpers/fixtures';

/** A reader whose channel has one page left: what a resumed job reads. */
function onePageReader(page: HistoryPage): HistoryReader {
  return {
    platform: 'slack',
    page: async () => page,
    listChannels: async () => [],
    userName: async () => undefined,
    isMember: async () => true,
    channelInfo: async () => undefined,
  };
}

describe('collectHistory resuming a job staged before the history port', () => {
  it('keeps the messages staged with `at` and `permalink` and writes them with their time and link', async () => {
    const dir = tmpDir('collect-');
    const store = openStateStore(path.join(dir, 'data'));
    const staging = path.join(dir, 'staging');
    fs.mkdirSync(staging, { recursive: true });
    const at = Date.parse('2026-11-30T10:00:00Z');
    fs.writeFileSync(path.join(staging, 'C1.jsonl'), JSON.stringify({ id: '1.000100', at, userId: 'U_SUBJ', text: 'Roll back first.', permalink: 'https://acme.slack.com/archives/C1/p1000100' }) + '\n');
    await store.kvSet('distill-jobs', 'R1', { listed: true, pages: 1, channels: [{ id: 'C1', name: 'payments', private: false, cursor: 'c2', done: false, kept: 1 }] });
    const req = { id: 'R1', subject: { id: 'slack:U_SUBJ' }, scope: { channels: [] } } as unknown as ConsentRequest;
    const next = { id: '2.000100', ts: at + 60_000, userId: 'U_SUBJ', text: 'Then look.', link: 'https://acme.slack.com/archives/C1/p2000100' };
    try {
      const collected = await collectHistory(req, onePageReader({ messages: [next] }), store, staging);
      const corpus = path.join(dir, 'corpus');
      const [rel] = writeCollected(corpus, 'slack', collected);
      const file = JSON.parse(fs.readFileSync(path.join(corpus, rel), 'utf8')) as { messages: { id: string; at: number; permalink?: string }[] };
      expect(file.messages.map((m) => [m.id, m.at, m.permalink])).toEqual([
        ['1.000100', at, 'https://acme.slack.com/archives/C1/p1000100'],
        ['2.000100', at + 60_000, 'https://acme.slack.com/archives/C1/p2000100'],
      ]);
    } finally {
      store.close();
    }
  });
});
