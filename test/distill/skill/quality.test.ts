import fs from 'node:fs';
import path from 'node:path';
import { anchorsIn, checkSkill } from '../../../src/distill/skill';

const ROOT = path.resolve(__dirname, '../../..');

/** A hand-written demo skill with each `[src: path]` turned into `[e:N]`, one id per path. */
function convertDemo(slug: string): { markdown: string; known: Set<number> } {
  const text = fs.readFileSync(path.join(ROOT, 'avatars', slug, 'skill.md'), 'utf8');
  const ids = new Map<string, number>();
  const markdown = text.replace(/\[src:\s*([^\]]+)\]/g, (_m, p: string) => {
    if (!ids.has(p)) ids.set(p, ids.size + 1);
    return `[e:${ids.get(p)}]`;
  });
  return { markdown, known: new Set(ids.values()) };
}

const HOLLOW = `# Skill: Alex Example

## Work

### Responsibilities

- Communicates effectively with stakeholders across teams.
- Strong attention to detail and a results-driven team player.
- Follows best practices in all deliverables.

### Systems owned

- Various systems as needed.

### Procedures

1. Understand the requirements.
2. Do the work carefully.
3. Review the results.

### Decision heuristics

- Makes data-driven decisions. [e:1]
- Balances speed and quality. [e:1]
- Thinks about the customer. [e:2]

### Gotchas

- Be careful with changes. [e:2]

### Who to ask

- The relevant team.

## Persona

### Tone

- Professional and friendly, 认真负责，沟通能力强。
- 团队合作精神好，积极主动。

### Typical phrases

- "Let's align." [e:404]

### Language mix

- English.

### Formality

- Appropriate for the context.

### Greetings and sign-offs

- Polite.

### Boundaries

- Keeps things professional.

## Honest limits

- None.

## Corrections
`;

describe('checkSkill', () => {
  it('lists every [e:N] in order, repeats included', () => {
    expect(anchorsIn('a [e:3] b [e:12] [e:3]\n1. c [e:7]')).toEqual([3, 12, 3, 7]);
    expect(anchorsIn('[src: x] [e:] [e:x]')).toEqual([]);
  });

  it.each(['lao-zhang', 'lin-xiaoyu'])('finds the hand-written demo skill %s anchored and specific, not hollow', (slug) => {
    const { markdown, known } = convertDemo(slug);
    const q = checkSkill(markdown, known);
    expect(q.unresolvedAnchors).toEqual([]);
    expect(q.sections.filter((s) => s.hollow)).toEqual([]);
    expect(q.hollow).toBe(false);
    const responsibilities = q.sections.find((s) => s.section === 'Work/Responsibilities');
    expect(responsibilities?.claims).toBeGreaterThanOrEqual(5);
    expect(responsibilities?.anchorsPerClaim).toBeGreaterThanOrEqual(1);
    expect(responsibilities?.specificity).toBeGreaterThanOrEqual(0.8);
    const procedures = q.sections.find((s) => s.section === 'Work/Procedures');
    expect(procedures?.anchors).toBeGreaterThan(10);
  });

  it('warns about the sections the demo skills leave out', () => {
    const { markdown, known } = convertDemo('lao-zhang');
    expect(checkSkill(markdown, known).warnings).toEqual(expect.arrayContaining(['Persona/Formality: missing section', 'Persona/Greetings and sign-offs: missing section']));
  });

  it('flags a washed-out skill: filler, nothing anchored, anchors to nothing', () => {
    const q = checkSkill(HOLLOW, new Set([1, 2]));
    expect(q.hollow).toBe(true);
    const by = new Map(q.sections.map((s) => [s.section, s]));
    expect(by.get('Work/Responsibilities')?.hollow).toBe(true);
    expect(by.get('Work/Responsibilities')?.reason).toMatch(/no evidence anchors/);
    expect(by.get('Work/Responsibilities')?.reason).toMatch(/generic filler \(“Communicates effectively”.*“attention to detail”/);
    expect(by.get('Work/Procedures')?.hollow).toBe(true);
    // Anchored, but nothing a reader could check: no numbers, systems, dates or commands.
    expect(by.get('Work/Decision heuristics')?.reason).toMatch(/few specifics: 0 of 3/);
    expect(by.get('Persona/Tone')?.reason).toMatch(/generic filler \(“认真负责”, “沟通能力强”/);
    expect(by.get('Persona/Typical phrases')?.reason).toMatch(/resolve to no evidence: e:404/);
    expect(q.unresolvedAnchors).toEqual([404]);
    expect(q.warnings.some((w) => w.startsWith('Work/Who to ask: hollow'))).toBe(true);
    expect(by.get('Honest limits')?.hollow).toBe(false);
  });

  it('flags filler even when it carries anchors', () => {
    const md = `# Skill: A\n\n## Work\n\n### Responsibilities\n\n- Team player who follows best practices. [e:1]\n- Detail-oriented and proactive. [e:1]\n- Owns \`billing-db\` since 2024-03. [e:2]\n`;
    const q = checkSkill(md, new Set([1, 2]));
    const r = q.sections.find((s) => s.section === 'Work/Responsibilities');
    expect(r?.hollow).toBe(true);
    expect(r?.reason).toMatch(/generic filler/);
    expect(r?.specificity).toBeCloseTo(0.33, 2);
  });

  it('counts a section that declares it has no evidence as empty, not hollow', () => {
    const md = `# Skill: A\n\n## Work\n\n### Gotchas\n\n_Nothing in the material shows this._\n`;
    const q = checkSkill(md, new Set());
    const g = q.sections.find((s) => s.section === 'Work/Gotchas');
    expect(g).toMatchObject({ claims: 0, hollow: false });
    expect(q.warnings).toContain('Work/Gotchas: declared empty: the material shows nothing here');
  });
});
