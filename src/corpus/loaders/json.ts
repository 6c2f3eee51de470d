/** Parse JSON, turning the engine's byte offset into `line L column C` for the error message. */
export function parseJsonWithPosition(text: string, file: string): { value?: unknown; error?: { message: string; position?: string } } {
  try {
    return { value: JSON.parse(text.replace(/^\uFEFF/, '')) };
  } catch (err) {
    const msg = (err as Error).message;
    const m = /position (\d+)/.exec(msg);
    let position: string | undefined;
    if (m) {
      const offset = Number(m[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      position = `line ${line} column ${column}`;
    }
    const reason = msg.replace(/ in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
    return { error: { message: `${file}: invalid JSON${position ? ` at ${position}` : ''}: ${reason}`, position } };
  }
}
