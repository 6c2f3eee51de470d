/**
 * Cue patterns for offline extraction, in English and Chinese. Each names a kind of sentence
 * worth keeping: steps, decisions, rules, warnings, referrals, refusals.
 */

const VERBS =
  'run|check|send|call|make sure|update|install|use|set|add|remove|open|create|review|forward|go|try|ask|tell|keep|avoid|put|move|change|fill|sign|submit|schedule|book|confirm|verify|look at|read|write|fix|restart|deploy|test|build|compile|file|report|delete|copy|download|upload|email|fax|print|pull|push|merge|rebase|start|stop|wait|remember|prepare|give|take|find|pay|buy|sell|cancel|resend|include|attach|replace|enable|disable|configure|clone|edit|rerun|revert|follow|contact|register|apply|open up|close|mark|post|let me know|make|iterate|rebuild|check out|source|log in|sign up|join|learn|visit|go to|get|grab|ping|drop|scale|rotate|reload|roll back|rollback|announce|watch|record|dry-run|escalate';

/** A sentence that tells someone to do something: "Run ...", "Please send ...", "Don't ...". */
export const IMPERATIVE = new RegExp(`^(?:\\((?:optional|recommended|required|important|if needed)\\)\\s*)?(?:(?:so|and|then|now|also|just|ok|okay),?\\s+)?(?:please\\s+|pls\\s+|kindly\\s+)?(?:(?:don'?t|do not|never|always)\\s+)?(?:${VERBS})\\b`, 'i');
export const IMPERATIVE_ZH = /^(?:请|麻烦|记得|务必|先|然后|再|最后|接着|不要|别|一定要)/;

/** Steps in order. Chinese 先/再 alone are too common (先生, 再见), so they must pair up. */
export const SEQUENCE = /^(?:\(?\d+\)?\s*)?(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|then|next|after that|afterwards|finally|lastly|once (?:that|this|it)(?:'s| is) done)\b[\s,:]|\b(?:and then|, then|step \d+)\b/i;
export const SEQUENCE_ZH = /(?:首先|然后|接着|之后再|最后|第[一二三四五六七八九十\d]+步|先.{1,30}(?:再|然后))/;

export const LIST_ITEM = /^\s*(?:\d{1,2}[.)、]|\(\d{1,2}\)|[-*•]\s|[一二三四五六七八九十][、.])\s*/;

export const DECISION =
  /\b(?:we(?:'ve| have)? decided|i(?:'ve| have)? decided|decided to|decision (?:is|was) to|let'?s go with|we(?:'ll| will) go with|going to go with|we agreed|agreed to|settled on|the plan is|conclusion is|we chose|i chose)\b/i;
export const DECISION_ZH = /(?:决定|结论|就这么定|定了|拍板|确定用|最终方案|达成共识|统一用)/;

export const HEURISTIC =
  /\b(?:always|never|rule of thumb|as a rule|in general|generally speaking|i prefer|we prefer|better to|it'?s best to|the key is|should always|should never|only if|unless|as long as)\b|\bif\b[^.?!]{3,80}?(?:\bthen\b|,\s*(?:i|we|you|it|they|there)\s+(?:should|will|would|must|need|can|could|'ll))/i;
export const HEURISTIC_ZH = /(?:如果.{1,40}(?:就|则|那么|要|需要|应该)|一定要|务必|千万|原则上|宁可|优先|尽量|只要.{1,30}就)/;

export const GOTCHA =
  /\b(?:careful|be aware|beware|watch out|gotcha|caveat|pitfall|don'?t forget|do not forget|keep in mind|note that|tricky|the catch|heads up|known issue|is broken|will break|breaks|fails? (?:if|when|on)|doesn'?t work|does not work|won'?t work|problem is|issue is|bug (?:in|with))\b/i;
export const GOTCHA_ZH = /(?:注意|坑|别忘了|不要忘|小心|千万别|切记|警惕|踩过|容易出错|有个问题|会失败|不生效|有bug)/i;

/** A referral to a person: "ask Jeff", "check with Karen Buckley", "找老王". */
export const REFERRAL =
  /\b(?:ask|contact|talk to|talk with|check with|speak to|speak with|reach out to|call|email|loop in|cc|ping|coordinate with|work with|send (?:it|them|this) to|forward (?:it|this|them) to)\s+(@?[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+)?)/g;
export const REFERRAL_ZH = /(?:找|问一下|问问|联系|请教|咨询|抄送)\s*@?([\u4e00-\u9fff]{2,3}?|[A-Z][a-z]+)(?=[\s，。,.!！?？:：；;、]|确认|问|聊|看|处理|负责|$)/g;
export const MENTION = /(?:^|[\s(])@([A-Za-z][\w.'’-]*(?:\s[A-Z][\w'’-]+)?|[\u4e00-\u9fff]{2,4})/g;

export const BOUNDARY =
  /\b(?:i (?:can'?t|cannot|won'?t|will not|am not able to|'m not able to) (?:help|comment|share|discuss|answer|say|speak)|not (?:my|our) (?:call|decision|area|place)|out of scope|off[- ]topic|not the (?:right )?place|please (?:don'?t|do not|avoid|refrain)|not a general|is focused on|i'?m not the right person|i don'?t know enough|we ask (?:members|people|everyone) to|is not (?:a|the) (?:place|forum))\b/i;
export const BOUNDARY_ZH = /(?:不方便|不能透露|不归我|不是我负责|不在范围|别问我|不讨论|不要在这里|请勿)/;

/** Mail or messages passed on rather than written. */
export const FORWARD_TITLE = /^\s*(?:fw|fwd|转发)\s*[:：]/i;
export const FORWARD_TEXT = /(?:-{3,}\s*Forwarded by|-{3,}\s*Original Message|Begin forwarded message|转发的消息|以下为转发)/i;

export const GREETING_WORDS = /^(?:(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|morning|greetings|hi all|hi everyone|hi team|hello all)\b|你好|您好|各位|大家好)/i;
export const SIGNOFF_WORDS =
  /^(?:thanks|thank you|thx|many thanks|regards|best regards|kind regards|best|cheers|sincerely|talk soon|all the best|ttyl|谢谢|多谢|感谢|辛苦了|辛苦|拜托了|祝好|此致)[\s,.!！。~]*$/i;

/** Emoji: pictographs and Slack shortcodes such as :tada:. */
export const EMOJI = /\p{Extended_Pictographic}|:[a-z0-9_+-]{2,30}:/gu;

/** Phrases of washed-out skills: true of anyone, anchored to nothing specific. */
export const FILLER: RegExp[] = [
  /communicat(?:es|ing|ion)? (?:effectively|clearly|well)/i,
  /attention to detail/i,
  /detail[- ]oriented/i,
  /team player/i,
  /follows? best practices/i,
  /best practices/i,
  /results[- ]driven/i,
  /self[- ]motivated/i,
  /strong (?:work ethic|communication|analytical|problem[- ]solving)/i,
  /problem[- ]solving skills/i,
  /works? well (?:with others|under pressure|in a team)/i,
  /hard[- ]working/i,
  /passionate about/i,
  /goes? above and beyond/i,
  /proactive(?:ly)?/i,
  /collaborat(?:es|ive) (?:effectively|closely|well)/i,
  /high[- ]quality (?:work|results|deliverables)/i,
  /ensures? (?:quality|success|smooth)/i,
  /stakeholder (?:management|alignment)/i,
  /drives? (?:results|impact|alignment)/i,
  /various (?:tasks|projects|systems|stakeholders)/i,
  /as needed/i,
  /professional (?:manner|attitude)/i,
  /认真负责/,
  /沟通能力强/,
  /沟通(?:顺畅|良好|能力)/,
  /团队合作/,
  /团队精神/,
  /积极主动/,
  /责任心强/,
  /吃苦耐劳/,
  /学习能力强/,
  /执行力强/,
  /抗压能力/,
  /细心/,
  /踏实肯干/,
  /追求卓越/,
  /赋能/,
  /闭环/,
  /抓手/,
  /最佳实践/,
];
