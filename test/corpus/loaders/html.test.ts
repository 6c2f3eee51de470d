import { loadHtml } from '../../../src/corpus/loaders/html';

describe('HTML loader', () => {
  it('keeps headings as # lines and paragraph breaks, drops scripts, styles and images, titles from <title>', () => {
    const u = loadHtml(
      '<html><head><title>Architecture &amp; Design</title><style>p{}</style></head><body><nav>Home | About</nav><h1>Billing</h1><p>Uses <b>PgBouncer</b>.</p><p>Second <a href="https://x.example">paragraph</a>.</p><h2>Pools</h2><p>40 per pod.</p><img src="a.png"><script>x()</script></body></html>',
      'wiki/arch.html',
    );
    expect(u).toEqual({ source: 'wiki/arch.html', kind: 'html', title: 'Architecture & Design', text: '# Billing\n\nUses PgBouncer.\n\nSecond paragraph.\n\n## Pools\n\n40 per pod.' });
  });

  it('falls back to the first <h1>, then to the file name', () => {
    expect(loadHtml('<body><h1>Runbook <em>v2</em></h1><p>x</p></body>', 'a/b.htm').title).toBe('Runbook v2');
    expect(loadHtml('<p>no title</p>', 'a/page.html').title).toBe('page');
  });
});
