import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { FEEDBACK_ACTION, feedbackValue } from '../../src/chat/actions';
import { ChatRouter } from '../../src/chat/router';
import { conversationKey, type ChatEvent } from '../../src/chat/types';
import { APPROVE } from '../../src/distill/chat-feature';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { capturingLogger } from '../helpers/capturing-logger';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { dmEvent, RecordingTransport } from '../helpers/recording-transport';
import { platformContract, recorded } from './platform.contract';

// The recording fake the router tests use: it must honour the same contract as the real platforms.

const ContractTransport = recorded(RecordingTransport);

platformContract('recording fake', async () => {
  const root = tmpDir();
  makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first with deployctl rollback, debug later.\n' });
  makeAvatar(root, 'lin-xiaoyu', { 'pricing.md': '# Pricing\n\nThe PLUS membership costs 99 yuan in the first year.\n' });
  const store = new SqliteStateStore(':memory:');
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store });
  for (const a of service.registry.list()) await service.ingest(a.config.slug);
  const logs = capturingLogger();
  const router = new ChatRouter({ service, log: logs.log });
  const t = new ContractTransport();
  const inChannel = (text: string): ChatEvent => dmEvent(text, { channelId: 'C1', channelType: 'public_channel', mentioned: true });
  let lastAnswer: ChatEvent | undefined;
  const press = (actionId: string, value: string): Promise<unknown> =>
    router.dispatchAction({ platform: 'slack', appId: 'A_HUB', workspaceId: 'T1', userId: 'U1', actionId, value, channelId: 'C1' }, t);
  return {
    router,
    store,
    user: 'U1',
    async ask(text) {
      const e = inChannel(`@lao-zhang-avatar ${text}`);
      lastAnswer = e;
      router.dispatch(e, t);
      return { place: `C1/${e.messageId}`, redeliver: async () => router.dispatch({ ...e }, t) };
    },
    async listAvatars() {
      router.dispatch(inChannel('/avatar list'), t);
    },
    shown: () => t.shownLog,
    async pressThumbsUp() {
      if (!lastAnswer) throw new Error('nothing answered yet');
      await press(FEEDBACK_ACTION, feedbackValue({ avatar: 'lao-zhang', conversation: conversationKey(lastAnswer), kind: 'up', ref: 'm2' }));
    },
    async pressApprove(id) {
      await press(APPROVE, id);
    },
    failPosts: () => void (t.failing = true),
    restorePosts: () => void (t.failing = false),
    errors: () => logs.lines().filter((l) => Number(l.level) >= 50),
    idle: () => router.idle(),
    close: () => store.close(),
  };
});
