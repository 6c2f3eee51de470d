import type { HistoryMessage } from '../../src/summarize/message';

export const WS = 'https://acme.slack.com';
const T0 = Date.UTC(2024, 4, 6, 9, 0, 0);

/** A message at `minute` minutes after 6 May 2024 09:00 UTC, with a Slack-shaped id and permalink. */
export function msg(minute: number, user: string, text: string, opts: { thread?: number; replies?: number; mentions?: string[]; channel?: string } = {}): HistoryMessage {
  const ts = T0 + minute * 60_000;
  const id = `${Math.floor(ts / 1000)}.${String(minute).padStart(6, '0')}`;
  const threadId = opts.thread !== undefined ? threadIdOf(opts.thread) : opts.replies ? id : undefined;
  const channel = opts.channel ?? 'C1';
  const base = `${WS}/archives/${channel}/p${id.replace('.', '')}`;
  return {
    id,
    threadId,
    channelId: channel,
    userId: `U_${user.toUpperCase()}`,
    userName: user,
    text,
    ts,
    mentions: opts.mentions,
    replyCount: opts.replies,
    link: threadId && threadId !== id ? `${base}?thread_ts=${threadId}&cid=${channel}` : base,
  };
}

export function threadIdOf(minute: number): string {
  return `${Math.floor((T0 + minute * 60_000) / 1000)}.${String(minute).padStart(6, '0')}`;
}

/** A realistic English channel: a release thread with a decision, an incident, loose chat, an unanswered question. */
export function englishChannel(): HistoryMessage[] {
  return [
    msg(0, 'alice', 'Release planning for billing-gateway v2.15: the canary plan and the rollback steps need a decision today.', { replies: 5 }),
    msg(3, 'bob', 'Canary at 5% for one hour, then 25%, 50%, 100% looked fine on staging.', { thread: 0 }),
    msg(5, 'carol', 'The rollback runbook still points at v2.13, it needs updating.', { thread: 0 }),
    msg(7, 'alice', "We decided to ship v2.15 on Thursday with the 5% canary.", { thread: 0 }),
    msg(9, 'bob', "I'll update the rollback runbook by Wednesday.", { thread: 0 }),
    msg(12, 'carol', '@alice can you announce the release window in #eng?', { thread: 0, mentions: ['alice'] }),
    msg(60, 'dave', 'Incident: the payments webhook queue is backing up, consumers are timing out against the ledger database.', { replies: 3 }),
    msg(62, 'erin', 'Ledger database CPU is at 95 percent, a long migration query is holding locks.', { thread: 60 }),
    msg(64, 'dave', "Let's go with killing the migration and rerunning it tonight.", { thread: 60 }),
    msg(66, 'erin', 'Queue drained, webhook consumers are healthy again.', { thread: 60 }),
    msg(200, 'frank', 'Lunch order for the offsite: tacos or sushi, vote by noon.'),
    msg(202, 'grace', 'Tacos please, the sushi place was slow last time.'),
    msg(400, 'heidi', 'Who owns the on-call rota for the partner API after the reorg?'),
  ];
}

/** A Chinese channel with a decision, tasks and an unanswered question. */
export function chineseChannel(): HistoryMessage[] {
  return [
    msg(0, '张三', '双十一大促前的扩容方案，大家看一下：订单服务扩到 40 个副本，数据库加两个只读实例。', { replies: 4 }),
    msg(4, '李四', '只读实例够用，订单服务 40 个副本可能不够，去年峰值是 3 万 QPS。', { thread: 0 }),
    msg(8, '张三', '那就这么定了：订单服务扩到 60 个副本，数据库加两个只读实例。', { thread: 0 }),
    msg(10, '王五', '我来写扩容脚本，周五前搞定。', { thread: 0 }),
    msg(12, '李四', '压测由赵六负责，截止 11月5日。', { thread: 0 }),
    msg(90, '赵六', '压测环境的数据要不要脱敏？'),
    msg(95, '王五', '今天的周会改到下午三点。'),
  ];
}
