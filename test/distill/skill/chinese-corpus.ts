import type { SourceUnit } from '../../../src/corpus/types';

// Wang Lei, DBA of the order team, in the team's Feishu group. Written for this test.
const MESSAGES = [
  '各位好，订单库 order-db 今晚 23:00 做主从切换，预计影响 5 分钟。',
  '切换步骤：\n1. 先在 pgbouncer-order 上执行 `PAUSE order;`\n2. 然后用 `patronictl switchover order-db --candidate order-db-2` 切主\n3. 确认 `SELECT pg_is_in_recovery();` 在新主上返回 f\n4. 最后执行 `RESUME order;` 并观察 5 分钟错误率',
  '注意：切换前一定要先暂停 order-sync 任务，不然会重复写入。上次 3 月 12 日就是这么出的事故。',
  '结论：order-db 的备份保留期从 7 天改成 14 天，就这么定了。',
  '如果复制延迟超过 30 秒，就先别切，找 @李娜 确认从库状态。',
  '别忘了切换后更新 Grafana 里订单库看板的变量。',
  '磁盘告警的问题找赵强，他负责存储。',
  '好的，收到。我在看。',
  '我们决定下周二开始把 order-sync 迁到 Kafka，先灰度 10% 的流量，然后每天加 20%。',
  'order-sync 的消费延迟我看了一下，峰值 1,200 条，主要是 11 点那一波下单。',
  '谢谢大家，今晚 order-db 切换顺利，错误率峰值 0.3%，2 分钟恢复。',
  'order-db 的连接数上限是 500，pgbouncer-order 的 default_pool_size 是 40，别随便改。',
  '坑：patronictl 的配置文件在 /etc/patroni/order.yml，不是默认路径，执行时要加 -c 参数。',
  '这个不归我管，支付那边的问题请找孙丽。',
  '原则上大促前一周不做任何数据库变更，order-db 和 pgbouncer-order 都一样。',
  'Kafka 的 topic 是 order.events，24 个分区，保留 3 天。',
  'PR 已经提了，麻烦 review 一下：order-sync 的 retry 逻辑改成 exponential backoff。',
  '@李娜 从库 order-db-2 的复制延迟现在是多少？切换前我要确认一下。',
];

export function chineseUnits(): SourceUnit[] {
  return MESSAGES.map((text, i) => ({
    source: 'feishu/order-team.json',
    kind: 'feishu',
    text,
    locator: `om_${1000 + i}`,
    title: '#订单组',
    author: '王磊',
    date: new Date(Date.UTC(2026, 2, 1 + i * 2, 14)).toISOString(),
  }));
}
