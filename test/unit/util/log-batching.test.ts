import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RunLog } from '../../../src/lib/util/log.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the run log writes its file in batches', () => {
  it('keeps lines until a flush, the batch timer or close, and loses none', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eectl-log-'));
    const log = new RunLog('error');
    const path = log.openFile(dir, 'install');
    log.write('debug', 'h1', 'one');
    log.write('debug', 'h2', 'two');
    expect(readFileSync(path, 'utf8')).toBe('');
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(path, 'utf8')).toMatch(/DEBUG \[h1\] one\n.*DEBUG \[h2\] two\n$/s);
    for (let i = 0; i < 3000; i++) log.write('debug', 'h', `line ${i} ${'x'.repeat(40)}`);
    // Past the batch size the lines are written at once, without waiting for the timer.
    expect(readFileSync(path, 'utf8')).toContain('line 1000 ');
    log.write('debug', '', 'last');
    log.close();
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('line 2999 ');
    expect(text.endsWith('DEBUG last\n')).toBe(true);
  });

  it('writes what is left when the process exits without closing the log', () => {
    dir = mkdtempSync(join(tmpdir(), 'eectl-log-'));
    const module = pathToFileURL(join(import.meta.dirname, '../../../dist/lib/util/log.js')).href;
    const script = `
      const { RunLog } = await import(${JSON.stringify(module)});
      const log = new RunLog('error');
      console.log(log.openFile(${JSON.stringify(dir)}, 'install'));
      log.write('debug', '', 'before the exit');
      process.exit(4);`;
    let path = '';
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    } catch (error) {
      path = String((error as { stdout: string }).stdout).trim();
    }
    expect(readFileSync(path, 'utf8')).toContain('DEBUG before the exit');
  });
});
