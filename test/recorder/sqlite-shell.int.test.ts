import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_ID, SCHEMA_VERSION } from '../../recorder/index.js';
import { findBuiltin } from '../../scenarios/index.js';
import { recordWithEvents, tempDir } from './helpers.js';

const shell = spawnSync('sh', ['-c', 'command -v sqlite3'], { encoding: 'utf8' }).stdout.trim();
if (shell === '') console.warn('sqlite3 shell not on this machine: skipping the stock-shell test');

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir(); });
afterAll(() => tmp.remove());

describe.skipIf(shell === '')('the stock sqlite3 shell', () => {
  it('opens a trace and sees its tables, indexes, version and session', async () => {
    const { emitted, result } = await recordWithEvents(findBuiltin('demo')!, { seed: 3, requests: 40 }, { out: join(tmp.dir, 'shell'), sqliteWriter: 'worker' });
    const sql = (statement: string): string => execFileSync(shell, ['-readonly', result.paths.sqlite!, statement], { encoding: 'utf8' }).trim();
    expect(sql('PRAGMA integrity_check')).toBe('ok');
    expect(sql('PRAGMA user_version')).toBe(String(SCHEMA_VERSION));
    expect(sql('PRAGMA application_id')).toBe(String(APPLICATION_ID));
    expect(sql('PRAGMA journal_mode')).toBe('delete');
    expect(sql('SELECT count(*) FROM events')).toBe(String(emitted.length));
    expect(sql('SELECT hash FROM events ORDER BY seq DESC LIMIT 1')).toBe(result.end.finalHash);
    expect(sql("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'events_%' ORDER BY name").split('\n'))
      .toEqual(['events_activation', 'events_irp', 'events_kind']);
    expect(sql('SELECT end_reason, event_count, final_hash FROM sessions')).toBe(`completed|${emitted.length}|${result.end.finalHash}`);
  });
});
