import type { Logger } from 'pino';
import type { Config } from '../../config/env';
import type { AvatarRegistry } from '../../avatars/registry';
import { UnderstudyError } from '../../errors';

/** One Feishu/Lark app this process serves: the hub app (from LARK_*) or an avatar's own app. */
export interface LarkAppConfig {
  /** `hub` or the avatar's slug: used in logs and error messages. */
  name: string;
  /** `cli_…`: every event names it in header.app_id. */
  appId: string;
  appSecret: string;
  encryptKey?: string;
  verificationToken?: string;
  /** The avatar this app always speaks as; undefined for the hub. */
  avatar?: string;
}

/**
 * The usual shape of a Feishu app id. Ids outside it exist (older and private deployments), so a
 * mismatch is a warning that names the app, not a refusal to start: a typo shows up in the log,
 * and a real but unusual id still works.
 */
const APP_ID = /^cli_[0-9a-fA-F]{16}$/;

/**
 * The Feishu apps to serve: per-avatar apps from avatar.yaml (secrets read from the variables
 * it names) and the hub app from LARK_*. Missing secrets fail fast, naming the app and variable.
 * Webhook mode refuses an app that has neither an encrypt key nor a verification token.
 */
export function larkApps(config: Config, registry: AvatarRegistry, log?: Pick<Logger, 'warn'>): LarkAppConfig[] {
  const apps: LarkAppConfig[] = [];
  const mode = config.lark?.mode ?? 'webhook';
  for (const pkg of registry.list()) {
    const l = pkg.config.apps.lark;
    if (!l) continue;
    const secret = config.env[l.app_secret_env]?.trim();
    // An avatar app whose secret is not in the environment is simply not deployed here.
    if (!secret) continue;
    const need = (name: string | undefined, what: string): string | undefined => {
      if (!name) return undefined;
      const v = config.env[name]?.trim();
      if (!v) {
        throw new UnderstudyError('CONFIG_INVALID', `Feishu app of avatar "${pkg.config.slug}" (${l.app_id}): ${what} variable ${name} is not set`, { details: { variable: name } });
      }
      return v;
    };
    apps.push({
      name: pkg.config.slug,
      appId: l.app_id,
      appSecret: secret,
      encryptKey: need(l.encrypt_key_env, 'encrypt key'),
      verificationToken: need(l.verification_token_env, 'verification token'),
      avatar: pkg.config.slug,
    });
  }
  if (config.lark) {
    apps.push({
      name: 'hub',
      appId: config.lark.appId,
      appSecret: config.lark.appSecret,
      encryptKey: config.lark.encryptKey,
      verificationToken: config.lark.verificationToken,
    });
  }
  const seen = new Map<string, string>();
  for (const app of apps) {
    if (!app.appId.trim()) throw new UnderstudyError('CONFIG_INVALID', `Feishu app "${app.name}": the app id is empty`);
    if (!APP_ID.test(app.appId)) {
      log?.warn({ app: app.name, appId: app.appId }, `Feishu app "${app.name}": app id "${app.appId}" does not look like a Feishu app id (cli_ followed by 16 hex digits); check it if events do not arrive`);
    }
    const other = seen.get(app.appId);
    if (other) throw new UnderstudyError('CONFIG_INVALID', `Feishu app id ${app.appId} is configured twice (${other} and ${app.name})`);
    seen.set(app.appId, app.name);
    if (mode === 'webhook' && !app.encryptKey && !app.verificationToken) {
      throw new UnderstudyError(
        'CONFIG_INVALID',
        `Feishu app "${app.name}" (${app.appId}) has neither an encrypt key nor a verification token: webhook mode needs one to reject forged requests`,
      );
    }
  }
  return apps;
}
