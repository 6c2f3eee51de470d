import type { Runtime } from '../app/runtime';
import { registerDistillFeature } from '../distill/chat-feature';
import { registerMeetingFeature } from '../meeting/chat-feature';
import { registerSummarizeFeature } from '../summarize/chat-feature';
import { ChatRouter, type RouterOptions } from './router';

/** Features that add commands or intents to the router (distill, summarize, meeting) register here. */
export const ROUTER_FEATURES: ((router: ChatRouter, runtime: Runtime) => void)[] = [registerDistillFeature, registerSummarizeFeature, registerMeetingFeature];

/** The one router every platform shares, with the configured limits, admins and features. */
export function createChatRouter(runtime: Runtime, options: Pick<RouterOptions, 'handOff'> = {}): ChatRouter {
  const router = new ChatRouter({
    ...options,
    service: runtime.service,
    log: runtime.log,
    admins: runtime.config.admins,
    rateLimits: runtime.config.rateLimits,
    concurrency: runtime.config.answerConcurrency,
  });
  for (const feature of ROUTER_FEATURES) feature(router, runtime);
  return router;
}
