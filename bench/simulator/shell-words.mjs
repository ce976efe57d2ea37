/**
 * Splits a command line as eectl's quote.ts writes it (bare words and single-quoted words, with `'\''`
 * for a quote inside) back into its argv. Anything else (an unquoted `$`, `;`, `|`, a double quote) is
 * shell syntax eectl never writes on a command line: the simulator refuses it rather than guess.
 */
export function splitWords(line) {
  const words = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ' ') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      word += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '\\' && line[i + 1] === "'") {
      word += "'";
      i++;
      inWord = true;
    } else if (/[A-Za-z0-9_@%+=:,./-]/.test(c)) {
      word += c;
      inWord = true;
    } else {
      throw new Error(`unquoted shell syntax ${JSON.stringify(c)} in: ${line}`);
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * Expands a one-line script of the form `exec cmd "$1" --flag "$NAME" "$2:2377"`: words, each bare or
 * double-quoted, with `$N` and `$NAME` references only. Returns undefined for anything richer.
 */
export function expandExecScript(script, positional, env) {
  const trimmed = script.trim();
  if (!trimmed.startsWith('exec ') || /[;|&`<>\n]|\$\(/.test(trimmed)) return undefined;
  const words = trimmed.slice(5).match(/"[^"]*"|[^\s"]+/g) ?? [];
  const lookup = (name) => {
    if (/^\d+$/.test(name)) return positional[Number(name) - 1] ?? '';
    if (!(name in env)) throw new Error(`script reads $${name}, which is not set`);
    return env[name];
  };
  return words.map((w) =>
    (w.startsWith('"') ? w.slice(1, -1) : w).replace(/\$([A-Za-z_][A-Za-z0-9_]*|\d)/g, (_, n) => lookup(n)),
  );
}
