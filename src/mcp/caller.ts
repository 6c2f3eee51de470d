import crypto from 'node:crypto';
import { mayUseAvatar } from '../avatars/access';
import type { AvatarPackage } from '../avatars/package';
import type { Viewer } from '../avatars/visibility';
import type { McpToken } from '../config/mcp-tokens';

/** Who is on the other end of an MCP connection, and what they may see. */
export interface McpCaller {
  /** Platform-qualified user (`slack:U123`, `lark:ou_x`; `cli:<login>` for the operator over stdio). The audit actor is `mcp:<user>`. */
  user: string;
  viewer: Viewer;
  /** The operator at their own machine (stdio): may name export files by path, sees every source. */
  operator: boolean;
}

/** stdio: the operator's view, like the terminal (platform `cli`, surface `local`). */
export function operatorCaller(env: NodeJS.ProcessEnv): McpCaller {
  const login = env.USER ?? env.USERNAME ?? 'local';
  return { user: `cli:${login}`, viewer: { platform: 'cli', userId: login, surface: 'local' }, operator: true };
}

/** HTTP: the chat user a token stands for, seen as in a DM with the avatar (dm_visibility, private audiences). */
export function tokenCaller(t: McpToken): McpCaller {
  return { user: `${t.platform}:${t.userId}`, viewer: { platform: t.platform, userId: t.userId, surface: 'dm' }, operator: false };
}

export function actorOf(caller: McpCaller): string {
  return `mcp:${caller.user}`;
}

/**
 * The token presented, if it is one of ours. Every configured token is compared, each in constant
 * time over its SHA-256 digest, so neither the answer time nor an early exit tells how close a guess was.
 */
export function findToken(tokens: readonly McpToken[], presented: string): McpToken | undefined {
  const digest = (s: string): Buffer => crypto.createHash('sha256').update(s, 'utf8').digest();
  const given = digest(presented);
  let found: McpToken | undefined;
  for (const t of tokens) if (crypto.timingSafeEqual(digest(t.token), given) && !found) found = t;
  return found;
}

/**
 * Whether the caller may use an avatar under its access list, as chat's access gate decides for a
 * DM: empty lists mean everyone; otherwise the user must be listed (`U123` or `slack:U123`). Group
 * membership needs the chat platform to resolve and channels need a channel, so over MCP only the
 * users list grants access. The operator over stdio has the files anyway.
 */
export function mayUse(pkg: AvatarPackage, caller: McpCaller): boolean {
  return caller.operator || mayUseAvatar(pkg.config.access, caller.viewer);
}
