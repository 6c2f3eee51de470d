import { normalize, stem, tokenize } from './tokenize';

/**
 * A small hand-written bilingual lexicon of workplace terms. Each group holds words that people
 * use for the same idea, in English and Chinese. It lets the offline path match a question
 * asked in other words or the other language ("undo a bad release" -> "roll back a deploy",
 * "数据库密码" -> "database credentials").
 */
const GROUPS: string[][] = [
  // operations
  ['rollback', 'roll back', 'revert', 'undo', 'downgrade', '回滚', '回退', '撤销'],
  ['deploy', 'deployment', 'release', 'rollout', 'ship', 'launch', 'go live', '上线', '发布', '部署', '发版'],
  ['canary', 'gradual', 'staged', 'progressive', '灰度', '金丝雀', '分批'],
  ['credential', 'password', 'secret', 'passwd', 'login', '密码', '凭证', '凭据', '口令', '账号密码'],
  ['rotate', 'rotation', 'renew', 'refresh', '轮换', '更换', '换掉'],
  ['database', 'db', 'postgres', 'postgresql', 'mysql', 'sql', '数据库', '库'],
  ['connection pool', 'pool', 'pgbouncer', 'connection', '连接池', '连接'],
  ['incident', 'outage', 'downtime', 'failure', 'breakage', 'sev', '事故', '故障', '宕机', '线上问题'],
  ['postmortem', 'post-mortem', 'retrospective', 'retro', 'review', '复盘', '事后分析'],
  ['alert', 'alarm', 'page', 'pager', 'paging', '告警', '报警'],
  ['on-call', 'oncall', 'on call', 'duty', 'rota', '值班', '轮值'],
  ['monitor', 'monitoring', 'dashboard', 'grafana', 'metric', 'observability', '监控', '看板', '大盘', '指标'],
  ['latency', 'slow', 'response time', 'p99', 'lag', '延迟', '耗时', '慢'],
  ['error rate', 'error', 'failure rate', '5xx', '错误率', '报错', '错误'],
  ['timeout', 'time out', 'timed out', '超时'],
  ['restart', 'reboot', 'bounce', 'recycle', '重启'],
  ['scale', 'scaling', 'autoscale', 'capacity', 'replica', '扩容', '缩容', '容量', '副本'],
  ['config', 'configuration', 'setting', 'settings', 'parameter', '配置', '参数'],
  ['migration', 'migrate', 'schema change', 'ddl', '迁移', '变更'],
  ['backup', 'snapshot', 'restore', 'recovery', '备份', '恢复', '快照'],
  ['permission', 'access', 'privilege', 'grant', 'authorization', 'scope', '权限', '授权'],
  ['vault', 'secret store', 'kms', '密钥管理'],
  ['kubernetes', 'k8s', 'cluster', 'pod', 'kubectl', '集群', '容器'],
  ['log', 'logs', 'logging', 'trace', 'tracing', '日志', '链路'],
  ['test', 'testing', 'qa', 'verify', 'validation', 'check', '测试', '验证', '校验', '检查'],
  ['bug', 'defect', 'issue', 'problem', '缺陷', '问题', 'bug单'],
  ['fix', 'patch', 'hotfix', 'repair', 'mitigate', 'mitigation', '修复', '补丁', '止血'],
  ['root cause', 'cause', 'reason', 'why', '根因', '原因', '为什么'],
  ['cache', 'caching', 'redis', '缓存'],
  ['queue', 'kafka', 'message queue', 'mq', 'consumer', '队列', '消息队列', '消费'],
  ['api', 'endpoint', 'interface', 'sdk', '接口'],
  ['callback', 'webhook', 'notification', 'notify', '回调', '通知'],
  ['idempotency', 'idempotent', 'duplicate', 'dedupe', 'deduplication', 'replay', '幂等', '重复', '去重'],
  ['retry', 'retries', 'backoff', 'resend', '重试', '重发'],
  ['limit', 'rate limit', 'throttle', 'quota', 'cap', '限流', '限额', '配额', '上限'],
  ['security', 'vulnerability', 'leak', 'exposure', '安全', '漏洞', '泄露'],
  ['encrypt', 'encryption', 'tls', 'certificate', 'cert', 'ssl', '加密', '证书'],
  ['runbook', 'playbook', 'procedure', 'sop', 'steps', 'how to', 'guide', '手册', '流程', '步骤', '操作指南'],
  ['design', 'architecture', 'design doc', 'proposal', 'rfc', '设计', '架构', '方案'],
  ['owner', 'ownership', 'responsible', 'maintainer', 'who owns', '负责人', '负责', '归属'],
  ['handover', 'handoff', 'transition', 'takeover', '交接', '移交'],
  ['service', 'system', 'component', 'microservice', '服务', '系统', '组件'],
  ['server', 'host', 'machine', 'instance', 'node', '服务器', '机器', '实例', '节点'],
  ['disk', 'storage', 'volume', 'space', '磁盘', '存储', '空间'],
  ['memory', 'ram', 'oom', 'out of memory', '内存'],
  ['cpu', 'load', 'utilization', 'usage', '负载', '使用率'],
  ['traffic', 'qps', 'tps', 'throughput', 'requests', 'peak', '流量', '吞吐', '峰值', '请求量'],
  ['sale', 'promotion', 'double 11', '11.11', 'singles day', '大促', '双十一', '促销'],
  // product and business
  ['payment', 'pay', 'charge', 'checkout', 'transaction', '支付', '付款', '收款', '结账', '交易'],
  ['refund', 'chargeback', 'reversal', '退款', '退单'],
  ['invoice', 'bill', 'billing', 'receipt', 'fapiao', '发票', '账单', '计费', '开票'],
  ['price', 'pricing', 'cost', 'fee', 'rate', 'tariff', '价格', '定价', '费用', '费率', '成本'],
  ['discount', 'coupon', 'voucher', 'promo code', '折扣', '优惠券', '优惠'],
  ['subscription', 'plan', 'tier', 'renewal', '订阅', '套餐', '续费'],
  ['customer', 'user', 'client', 'merchant', 'buyer', '客户', '用户', '商户', '商家', '买家'],
  ['requirement', 'prd', 'spec', 'specification', 'feature', '需求', '需求文档', '功能'],
  ['roadmap', 'plan', 'milestone', 'timeline', 'schedule', '路线图', '规划', '里程碑', '排期', '计划'],
  ['deadline', 'due', 'due date', 'cutoff', '截止', '截止日期', '期限'],
  ['decision', 'decide', 'decided', 'conclusion', 'agreed', 'resolution', '决定', '决策', '结论', '拍板'],
  ['meeting', 'sync', 'standup', 'minutes', 'notes', '会议', '例会', '纪要', '周会'],
  ['priority', 'p0', 'p1', 'urgent', 'critical', '优先级', '紧急'],
  ['metric', 'kpi', 'conversion', 'rate', 'okr', 'goal', '指标', '转化率', '目标'],
  ['research', 'interview', 'survey', 'feedback', 'user study', '调研', '访谈', '问卷', '反馈'],
  ['experiment', 'a/b test', 'ab test', 'trial', 'pilot', '实验', '试点', 'ab测试'],
  ['finance', 'accounting', 'reconciliation', 'ledger', 'settlement', '财务', '对账', '账务', '结算'],
  ['tax', 'vat', 'taxation', '税', '税务', '增值税'],
  ['contract', 'agreement', 'deal', 'sign', '合同', '协议', '签约'],
  ['budget', 'spend', 'expense', 'money', '预算', '开销', '花费'],
  ['team', 'group', 'squad', 'department', 'org', '团队', '小组', '部门', '组'],
  ['manager', 'boss', 'lead', 'director', 'supervisor', '经理', '领导', '主管', '总监', '老板'],
  ['hire', 'hiring', 'recruit', 'interview candidate', 'headcount', '招聘', '招人', '面试'],
  ['leave', 'vacation', 'holiday', 'time off', 'pto', '请假', '休假', '假期'],
  ['email', 'e-mail', 'mail', 'message', '邮件', '消息'],
  ['document', 'doc', 'wiki', 'page', 'writeup', '文档', '文章', '页面'],
  ['question', 'ask', 'help', 'faq', 'answer', '问题', '提问', '帮助', '答疑'],
  ['start', 'begin', 'kick off', 'initiate', '开始', '启动'],
  ['stop', 'halt', 'pause', 'freeze', 'block', '停止', '暂停', '冻结', '封网'],
  ['delete', 'remove', 'drop', 'purge', 'erase', '删除', '移除', '清除'],
  ['create', 'add', 'new', 'build', 'set up', 'setup', '创建', '新增', '新建', '搭建'],
  ['update', 'upgrade', 'modify', 'edit', 'change', '更新', '升级', '修改'],
  ['weekly', 'week', 'newsletter', 'digest', '周刊', '每周', '周报'],
  ['open source', 'github', 'repository', 'repo', 'project', '开源', '仓库', '项目'],
  ['tool', 'utility', 'app', 'software', 'program', '工具', '软件', '应用', '程序'],
  ['ai', 'llm', 'model', 'gpt', 'chatgpt', 'artificial intelligence', '人工智能', '大模型', '模型'],
  ['browser', 'chrome', 'web', 'website', 'site', '浏览器', '网站', '网页'],
  ['javascript', 'js', 'typescript', 'node', 'frontend', 'front-end', '前端'],
  ['mobile', 'phone', 'ios', 'android', 'app', '手机', '移动端'],
  ['picture', 'image', 'photo', 'graphic', '图片', '照片', '图像'],
  ['video', 'movie', 'film', '视频', '电影'],
  ['book', 'reading', 'novel', '书', '图书', '阅读'],
  ['china', 'chinese', '中国', '国内'],
  ['company', 'firm', 'business', 'enterprise', 'corporation', '公司', '企业'],
  ['job', 'work', 'career', 'employment', 'position', '工作', '职业', '岗位'],
  // trading and property (the Enron mail)
  ['gas', 'natural gas', 'ng', '天然气', '燃气'],
  ['power', 'electricity', 'energy', 'electric', '电力', '能源'],
  ['trade', 'trading', 'trader', 'position', 'desk', 'book', '交易', '交易员', '头寸'],
  ['forecast', 'outlook', 'projection', 'estimate', '预测', '预估'],
  ['property', 'real estate', 'land', 'lot', 'house', 'apartment', 'building', '房产', '地产', '房子', '公寓', '土地'],
  ['rent', 'lease', 'tenant', 'rental', '租金', '租赁', '租户'],
  ['loan', 'financing', 'mortgage', 'bank', 'lender', '贷款', '融资', '按揭', '银行'],
  ['spreadsheet', 'excel', 'worksheet', 'xls', 'model', '表格', '电子表格'],
  ['report', 'summary', 'overview', 'update', '报告', '汇报', '总结', '概要'],
  ['schedule', 'calendar', 'appointment', 'when', 'date', 'time', '时间', '日期', '日程'],
  ['cheap', 'inexpensive', 'low cost', 'affordable', '便宜', '低价'],
  ['expensive', 'costly', 'high price', '贵', '昂贵'],
  ['fast', 'quick', 'speed', 'performance', '快', '速度', '性能'],
];

export interface Expansion {
  term: string;
  weight: number;
}

interface CompiledGroup {
  /** Tokens of every form, for expansion. */
  tokens: string[];
}

const COMPILED: CompiledGroup[] = [];
/** Stemmed single English word -> the groups it belongs to. */
const WORD_GROUPS = new Map<string, number[]>();
/** Multi-word English phrases (word-bounded) and Chinese forms (substrings). */
const PHRASES: { group: number; test: (norm: string) => boolean }[] = [];

GROUPS.forEach((forms, i) => {
  const tokens = new Set<string>();
  for (const f of forms) {
    const n = normalize(f);
    if (/^[a-z0-9]+$/.test(n)) {
      const key = stem(n);
      WORD_GROUPS.set(key, [...(WORD_GROUPS.get(key) ?? []), i]);
    } else if (/^[a-z]/.test(n)) {
      const re = new RegExp(`\\b${escapeRe(n)}\\b`);
      PHRASES.push({ group: i, test: (norm) => re.test(norm) });
    } else {
      PHRASES.push({ group: i, test: (norm) => norm.includes(n) });
    }
    for (const t of tokenize(n)) tokens.add(t);
  }
  COMPILED.push({ tokens: [...tokens] });
});

/** Concept ids (group indices) a text mentions. */
export function conceptsOf(text: string, tokens: readonly string[] = tokenize(text)): number[] {
  const found = new Set<number>();
  for (const t of tokens) for (const g of WORD_GROUPS.get(t) ?? []) found.add(g);
  const norm = normalize(text);
  for (const p of PHRASES) if (!found.has(p.group) && p.test(norm)) found.add(p.group);
  return [...found].sort((a, b) => a - b);
}

/** Other words for the concepts a query mentions, excluding tokens it already has. */
export function lexiconExpansions(text: string, tokens: readonly string[], weight: number): Expansion[] {
  const have = new Set(tokens);
  const out = new Map<string, number>();
  for (const c of conceptsOf(text, tokens)) {
    for (const t of COMPILED[c].tokens) if (!have.has(t)) out.set(t, weight);
  }
  return [...out].map(([term, w]) => ({ term, weight: w }));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
