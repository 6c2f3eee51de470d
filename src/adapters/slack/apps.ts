import type { Config } from '../../config/env';
import type { AvatarRegistry } from '../../avatars/registry';
import { UnderstudyError } from '../../errors';

/** One Slack app this process serves: the hub app (from SLACK_*) or an avatar's own app. */
export interface SlackAppConfig {
  /** `hub` or the avatar's slug: used in logs and error messages. */
  name: string;
  /** api_app_id; unknown for the hub until events arrive (anything not claimed by an avatar app). */
  appId?: string;
  teamId?: string;
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  /** The avatar this app always speaks as; undefined for the hub. */
  avatar?: string;
}

/**
 * The Slack apps to serve: per-avatar apps from avatar.yaml (secrets read from the variables it
 * names) and the hub app from SLACK_*. Missing secrets fail fast, naming the app and variable.
 */
export function slackApps(config: Config, registry: AvatarRegistry): SlackAppConfig[] {
  const apps: SlackAppConfig[] = [];
  const socket = config.slack?.mode === 'socket';
  for (const pkg of registry.list()) {
    const s = pkg.config.apps.slack;
    if (!s) continue;
    const need = (name: string | undefined, what: string): string | undefined => {
      if (!name) return undefined;
      const v = config.env[name]?.trim();
      if (!v) {
        throw new UnderstudyError('CONFIG_INVALID', `Slack app of avatar "${pkg.config.slug}" (${s.app_id}): ${what} variable ${name} is not set`, { details: { variable: name } });
      }
      return v;
    };
    const botToken = config.env[s.bot_token_env]?.trim();
    // An avatar app whose token is not in the environment is simply not deployed here.
    if (!botToken) continue;
    apps.push({
      name: pkg.config.slug,
      appId: s.app_id,
      teamId: s.team_id,
      botToken,
      signingSecret: need(s.signing_secret_env, 'signing secret'),
      appToken: socket ? need(s.app_token_env, 'app-level token') : undefined,
      avatar: pkg.config.slug,
    });
  }
  if (config.slack?.botToken) {
    apps.push({ name: 'hub', botToken: config.slack.botToken, signingSecret: config.slack.signingSecret, appToken: config.slack.appToken });
  }
  for (const app of apps) {
    if (!socket && !app.signingSecret) {
      throw new UnderstudyError('CONFIG_INVALID', `Slack app "${app.name}" has no signing secret: HTTP mode needs one to reject forged requests`);
    }
    if (socket && !app.appToken) {
      throw new UnderstudyError('CONFIG_INVALID', `Slack app "${app.name}" has no app-level token (xapp-...): Socket Mode needs one`);
    }
  }
  return apps;
}
