import { findJsonError, parseJsonWithPosition } from '../../../src/corpus/loaders/json';

describe('parseJsonWithPosition', () => {
  it('parses valid JSON, a BOM included', () => {
    expect(parseJsonWithPosition('\uFEFF{"a": [1, 2]}', 'x.json')).toEqual({ value: { a: [1, 2] } });
  });

  it('names the file, the line and column, and the parser\'s reason', () => {
    const text = '{\n  "items": [\n    {"text": oops}\n  ]\n}';
    expect(parseJsonWithPosition(text, 'chats/team.json').error).toEqual({ message: "chats/team.json: invalid JSON at line 3 column 14: Unexpected token 'o'", position: 'line 3 column 14' });
    expect(parseJsonWithPosition('{"a": 1,}', 'b.json').error?.message).toBe('b.json: invalid JSON at line 1 column 9: Expected double-quoted property name');
    expect(parseJsonWithPosition('[1, 2', 'c.json').error?.message).toMatch(/^c\.json: invalid JSON at line 1 column 6: /);
  });

  it('finds the offset of the first error itself when the parser gives none', () => {
    expect(findJsonError('{"a": tru}')).toBe(6);
    expect(findJsonError('[1, 2]')).toBe(6);
    expect(findJsonError('{"a": "unterminated\n"}')).toBe(19);
  });
});
