import { ChatRouter } from '../../chat/router';
import type { Runtime } from '../../app/runtime';
import type { PlatformAdapter } from '../platform';
import { SlackAdapter } from './adapter';

/** The Slack adapter when SLACK_* (or a per-avatar Slack app's token) is configured. */
export function slackFactory(runtime: Runtime, router: ChatRouter): PlatformAdapter | undefined {
  const perAvatar = runtime.service.registry.list().some((a) => a.config.apps.slack && runtime.config.env[a.config.apps.slack.bot_token_env]);
  if (!runtime.config.slack && !perAvatar) return undefined;
  return new SlackAdapter(runtime, router);
}
