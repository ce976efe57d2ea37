import { describe, expect, it } from 'vitest';
import { quoteArg, quoteCommand } from '../../../src/lib/ssh/quote.js';

describe('quoteArg', () => {
  it('leaves plain words alone and quotes everything a shell would interpret', () => {
    expect(quoteArg('docker')).toBe('docker');
    expect(quoteArg('--label=a.b/c:1,2@x%y+z')).toBe('--label=a.b/c:1,2@x%y+z');
    expect(quoteArg('')).toBe("''");
    expect(quoteArg('a b')).toBe("'a b'");
    expect(quoteArg('$HOME')).toBe("'$HOME'");
    expect(quoteArg('`id`')).toBe("'`id`'");
    expect(quoteArg('a;rm -rf /')).toBe("'a;rm -rf /'");
    expect(quoteArg('*')).toBe("'*'");
    expect(quoteArg('line1\nline2')).toBe("'line1\nline2'");
  });

  it("escapes single quotes as '\\''", () => {
    expect(quoteArg("it's")).toBe("'it'\\''s'");
    expect(quoteArg("'")).toBe("''\\'''");
  });
});

describe('quoteCommand', () => {
  it('joins quoted arguments and refuses an empty argv', () => {
    expect(quoteCommand(['echo', "it's", 'a b'])).toBe("echo 'it'\\''s' 'a b'");
    expect(() => quoteCommand([])).toThrow();
  });
});
