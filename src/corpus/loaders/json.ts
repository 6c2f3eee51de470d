/** Parse JSON; on failure name the file and the line and column of the first error. */
export function parseJsonWithPosition(text: string, file: string): { value?: unknown; error?: { message: string; position?: string } } {
  const clean = text.replace(/^\uFEFF/, '');
  try {
    return { value: JSON.parse(clean) };
  } catch (err) {
    // Node 20 does not always give an offset; find it ourselves.
    const reported = /position (\d+)/.exec((err as Error).message);
    const offset = reported ? Number(reported[1]) : findJsonError(clean);
    const before = clean.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const position = `line ${line} column ${column}`;
    // V8 appends a snippet of the input (`..."text": oops}]" is not valid JSON`); the position says more.
    const reason = (err as Error).message.replace(/, (?:\.\.\.)?"[\s\S]*is not valid JSON$/, '').replace(/ in JSON at position \d+[\s\S]*$/, '');
    return { error: { message: `${file}: invalid JSON at ${position}: ${reason}`, position } };
  }
}

/** Offset of the first syntax error, by a small recursive-descent scan. */
export function findJsonError(s: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < s.length && ' \t\n\r'.includes(s[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') return void i++;
      for (;;) {
        ws();
        if (s[i] !== '"') fail();
        str();
        ws();
        if (s[i] !== ':') fail();
        i++;
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === '}') return void i++;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ']') return void i++;
        else fail();
      }
    }
    if (c === '"') return str();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(s.slice(i, i + 400));
    if (!m) fail();
    i += (m as RegExpExecArray)[0].length;
  };
  const str = (): void => {
    i++;
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\') i++;
      else if (s[i] === '\n') fail();
      i++;
    }
    if (i >= s.length) fail();
    i++;
  };
  try {
    value();
    ws();
    if (i < s.length) fail();
    return s.length;
  } catch (pos) {
    return typeof pos === 'number' ? pos : 0;
  }
}
