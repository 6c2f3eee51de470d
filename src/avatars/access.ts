import type { AvatarConfig } from './schema';
import type { Viewer } from './visibility';

export type AccessList = AvatarConfig['access'];

/**
 * Whether someone may use an avatar under its access list (avatar.yaml `access`): the one decision
 * behind chat's access gate, meetings and the MCP server. Empty lists mean everyone; the operator
 * at the terminal (surface `local`) has the files anyway; otherwise the user (`U1` or `slack:U1`),
 * the conversation's channel (`C1` or `slack:C1`) or one of the user's groups must be listed.
 * `groups` are the user's groups as the platform reported them (none when not looked up: see
 * `listsGroups`).
 */
export function mayUseAvatar(access: AccessList, viewer: Viewer, groups: readonly string[] = []): boolean {
  if (isOpen(access) || viewer.surface === 'local') return true;
  const { platform, userId, channelId } = viewer;
  const listed = (list: readonly string[], id: string | undefined): boolean => id !== undefined && (list.includes(id) || list.includes(`${platform}:${id}`));
  return listed(access.users, userId) || listed(access.channels, channelId) || groups.some((g) => listed(access.groups, g));
}

/** Whether the user's groups could change the decision (worth a lookup on the chat platform). */
export function listsGroups(access: AccessList): boolean {
  return access.groups.length > 0;
}

function isOpen(access: AccessList): boolean {
  return access.users.length === 0 && access.groups.length === 0 && access.channels.length === 0;
}
