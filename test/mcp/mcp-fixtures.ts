import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { tmpDir } from '../helpers/fixtures';

const DEMO_AVATARS = path.resolve(__dirname, '../../avatars');

/**
 * A temp root with the demo avatars copied in (avatars/lao-zhang, avatars/lin-xiaoyu) and a data
 * dir beside them. `linAccess`: restrict lin-xiaoyu's access list to these users.
 */
export function demoWorkspace(prefix: string, options: { linAccess?: string[] } = {}): { root: string; avatarsDir: string; dataDir: string } {
  const root = tmpDir(prefix);
  const avatarsDir = path.join(root, 'avatars');
  fs.cpSync(DEMO_AVATARS, avatarsDir, { recursive: true });
  if (options.linAccess) {
    const file = path.join(avatarsDir, 'lin-xiaoyu', 'avatar.yaml');
    const yaml = fs.readFileSync(file, 'utf8');
    const restricted = yaml.replace(/^access:\n  users: \[\]/m, `access:\n  users: [${options.linAccess.map((u) => JSON.stringify(u)).join(', ')}]`);
    if (restricted === yaml) throw new Error('demo lin-xiaoyu avatar.yaml: access.users: [] not found');
    fs.writeFileSync(file, restricted);
  }
  return { root, avatarsDir, dataDir: path.join(root, 'data') };
}

/** Set an avatar's status in its avatar.yaml (pause/revoke as the admin commands would leave it). */
export function setStatus(avatarsDir: string, slug: string, status: 'active' | 'paused' | 'revoked'): void {
  const file = path.join(avatarsDir, slug, 'avatar.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^status: \w+$/m, `status: ${status}`));
}

/** A small Feishu chat export: a question, a decision and an action item in one thread. */
export function feishuExport(): string {
  const item = (id: string, user: string, name: string, text: string, minute: number, root?: string): Record<string, unknown> => ({
    message_id: id,
    root_id: root,
    msg_type: 'text',
    create_time: String(Date.UTC(2024, 10, 1, 2, minute)),
    sender: { id: user, sender_type: 'user', name },
    body: { content: JSON.stringify({ text }) },
  });
  return JSON.stringify({
    chat: { chat_id: 'oc_ops', name: '运维', chat_type: 'group' },
    items: [
      item('om_1', 'ou_a', '张三', '下周的数据库迁移，用蓝绿切换还是停机窗口？', 0),
      item('om_2', 'ou_b', '李四', '最后决定用蓝绿切换，周四晚上执行。', 5, 'om_1'),
      item('om_3', 'ou_a', '张三', '我来准备回滚脚本，周三前给大家看。', 9, 'om_1'),
    ],
  });
}

/** A Slack export .zip with one channel (#deploys) where a decision is made. */
export function slackExportZip(): Buffer {
  const ts = (minute: number): string => `${Date.UTC(2024, 10, 1, 2, minute) / 1000}.000100`;
  const day = [
    { type: 'message', user: 'U1', text: 'Should we ship the billing release on Friday or wait until Tuesday?', ts: ts(0) },
    { type: 'message', user: 'U2', text: "We decided to wait until Tuesday, no Friday deploys.", ts: ts(4), thread_ts: ts(0) },
    { type: 'message', user: 'U1', text: "I'll update the release calendar by tomorrow.", ts: ts(7), thread_ts: ts(0) },
  ];
  const b = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
  return Buffer.from(
    zipSync({
      'channels.json': b([{ id: 'C1', name: 'deploys' }]),
      'users.json': b([
        { id: 'U1', name: 'ana', real_name: 'Ana' },
        { id: 'U2', name: 'bo', real_name: 'Bo' },
      ]),
      'deploys/2024-11-01.json': b(day),
    }),
  );
}

/** The text of a tool result's first content block. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}
