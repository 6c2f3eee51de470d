import type { ChatRouter } from '../../chat/router';
import type { Runtime } from '../../app/runtime';
import type { PlatformAdapter } from '../platform';
import { LarkAdapter } from './adapter';

export { registerLarkCardAction } from './card-actions';

/** The Feishu adapter when LARK_* (or a per-avatar Feishu app's secret) is configured. */
export function larkFactory(runtime: Runtime, router: ChatRouter): PlatformAdapter | undefined {
  const perAvatar = runtime.service.registry.list().some((a) => a.config.apps.lark && runtime.config.env[a.config.apps.lark.app_secret_env]);
  if (!runtime.config.lark && !perAvatar) return undefined;
  return new LarkAdapter(runtime, router);
}
