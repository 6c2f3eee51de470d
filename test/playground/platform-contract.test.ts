import path from 'node:path';
import { mountWebPlayground } from '../../src/adapters/playground/web';
import { PlaygroundTransport } from '../../src/adapters/playground/web-transport';
import { AvatarService } from '../../src/app/avatar-service';
import { ChatRouter } from '../../src/chat/router';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { HttpServer } from '../../src/server/http-server';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { platformContract, recorded } from '../chat/platform.contract';
import { capturingLogger } from '../helpers/capturing-logger';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

// The web playground: real HTTP requests into the real routes; its transport also records what it showed.

const RecordingPlayground = recorded(PlaygroundTransport);

platformContract('web playground', async () => {
  const root = tmpDir('playground-contract-');
  makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first with deployctl rollback, debug later.\n' });
  const store = new SqliteStateStore(':memory:');
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store });
  await service.ingest('lao-zhang');
  const logs = capturingLogger();
  const router = new ChatRouter({ service, log: logs.log });
  const transport = new RecordingPlayground();
  const server = new HttpServer();
  mountWebPlayground(server, router, { host: '127.0.0.1', transport });
  const port = await server.listen(0, '127.0.0.1');
  const api = async (route: string, body: unknown, session?: string): Promise<Record<string, unknown>> => {
    const res = await fetch(`http://127.0.0.1:${port}/playground/api/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(session ? { 'x-playground-session': session } : {}) },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const { session, conversation } = (await api('conversations', {})) as { session: string; conversation: string };
  const ask = (question: string): Promise<Record<string, unknown>> => api('ask', { avatar: 'lao-zhang', question, conversation }, session);
  return {
    router,
    store,
    user: 'local',
    async ask(text) {
      await ask(text);
      // One conversation is one DM: its answers come back to the page that asked.
      return { place: `${conversation}/-` };
    },
    async listAvatars() {
      await ask('/avatar list');
    },
    shown: () => transport.shownLog,
    failPosts: () => void (transport.failing = true),
    restorePosts: () => void (transport.failing = false),
    errors: () => logs.lines().filter((l) => Number(l.level) >= 50),
    idle: () => router.idle(),
    async close() {
      await server.close();
      await store.close();
    },
  };
});
