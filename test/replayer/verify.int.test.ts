/**
 * Re-execution (replayer/verify.ts, `irptrace replay --verify`): unchanged scenarios re-run
 * identical, built-ins over several seeds and a scenario file; a scenario file edited since the
 * recording is caught at its first diverging event; a scenario that no longer loads is one clear
 * line and exit 2.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulation, scenarioProblems, type ScenarioDefinition } from '../../model/index.js';
import { recordRun } from '../../recorder/index.js';
import { ScenarioUnavailableError, verifyTrace } from '../../replayer/index.js';
import { BUILTIN_SCENARIOS, findBuiltin } from '../../scenarios/index.js';
import { irptrace, record, ROOT, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir(); });
afterAll(() => tmp.remove());

describe('verifyTrace on built-in scenarios', () => {
  it.each(BUILTIN_SCENARIOS.map((s) => s.name))('re-executes %s identically over several seeds, from both formats', async (name) => {
    for (const seed of [1, 2, 9]) {
      const out = join(tmp.dir, `${name}-${seed}`);
      const { emitted } = await record(findBuiltin(name)!, { seed, cpus: seed === 2 ? 1 : 2, requests: 8 }, { out });
      for (const format of ['sqlite', 'arrow'] as const) {
        const result = await verifyTrace(`${out}.${format}`);
        expect(result.divergence, `${name} seed ${seed} ${format}`).toBeNull();
        expect(result.events).toBe(emitted.length);
        expect(result.hash).toBe(emitted.at(-1)!.hash);
      }
    }
  });
});

describe('a recording stopped by Ctrl-C (SessionEnded interrupted)', () => {
  it('is identical up to the event the signal caused, which is not re-executed (docs/replay.md)', async () => {
    const out = join(tmp.dir, 'interrupted');
    const sim = new Simulation(findBuiltin('demo')!, { seed: 4, cpus: 2, requests: 40 });
    // The signal arrives while the run goes on, as SIGINT would.
    let hash700 = '';
    sim.events$.subscribe((e) => { if (e.seq === 700) { hash700 = e.hash; sim.interrupt(); } });
    await recordRun(sim, { out });
    for (const format of ['sqlite', 'arrow'] as const) {
      const result = await verifyTrace(`${out}.${format}`);
      expect(result.divergence, format).toBeNull();
      expect([result.interrupted, result.unfinished]).toEqual([true, false]);
      // Everything before the recorded SessionEnded, which the signal put at seq 701.
      expect(result.events).toBe(701);
      // The hash of the last event compared, not the SessionEnded's.
      expect(result.hash).toBe(hash700);
    }
    const cli = await irptrace(['replay', `${out}.sqlite`, '--verify']);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`^identical: 701 events, hash ${hash700} before the signal that stopped the recording`));
  });
});

/** scenarios/examples/minimal.ts copied out of the package, importing the model by absolute path. */
function copyMinimal(to: string): void {
  copyFileSync(join(ROOT, 'scenarios', 'examples', 'minimal.ts'), to);
  const text = readFileSync(to, 'utf8').replace("from '../../model/index.js'", `from '${join(ROOT, 'model', 'index.js')}'`);
  writeFileSync(to, text);
}

async function loadFile(path: string): Promise<ScenarioDefinition> {
  const scenario = ((await import(path)) as { default: unknown }).default;
  expect(scenarioProblems(scenario)).toEqual([]);
  return scenario as ScenarioDefinition;
}

describe('a scenario file', () => {
  it('re-executes identically while unchanged, and diverges once a routine is edited', async () => {
    const file = join(tmp.dir, 'my-minimal.ts');
    copyMinimal(file);
    const out = join(tmp.dir, 'minimal');
    const { emitted } = await record(await loadFile(file), { seed: 4, cpus: 2, requests: 6 }, { out, source: file });
    const unchanged = await irptrace(['replay', `${out}.sqlite`, '--verify']);
    expect(unchanged.stderr).toBe('');
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toContain(`identical: ${emitted.length} events, hash ${emitted.at(-1)!.hash}`);

    // The DpcForIsr now completes the IRP before starting the next packet.
    const text = readFileSync(file, 'utf8');
    const edited = text.replace(
      '    await k.IoStartNextPacket(DeviceObject, false);\n    await k.IoCompleteRequest(Irp, IO_DISK_INCREMENT);',
      '    await k.IoCompleteRequest(Irp, IO_DISK_INCREMENT);\n    await k.IoStartNextPacket(DeviceObject, false);',
    );
    expect(edited).not.toBe(text);
    writeFileSync(file, edited);
    const diverged = await irptrace(['replay', `${out}.arrow`, '--verify']);
    expect(diverged.code).toBe(1);
    const seq = Number(/^diverged at seq (\d+)/.exec(diverged.stdout)?.[1]);
    expect(seq).toBeGreaterThan(0);
    expect(seq).toBeLessThan(emitted.length);
    // Both events side by side, the differing columns marked.
    expect(diverged.stdout).toMatch(/column\s+recorded\s+re-executed/);
    expect(diverged.stdout).toContain(`≠ kind`);
    expect(diverged.stdout).toContain(emitted[seq]!.kind);

    // The same through the API, which also says which fields differ (this process imported the
    // file before its edit: a query string defeats the module cache).
    const result = await verifyTrace(`${out}.sqlite`, { loadScenarioFile: (path) => import(`${path}?edited`) });
    expect(result.divergence?.seq).toBe(seq);
    expect(result.divergence?.recorded).toEqual(emitted[seq]);
    expect(result.divergence?.fields).toContain('hash');
    expect(result.events).toBe(seq);
  });

  it('that no longer loads is one line and exit 2, and one that no longer exists is a clear error', async () => {
    const file = join(tmp.dir, 'doomed.ts');
    copyMinimal(file);
    const out = join(tmp.dir, 'doomed');
    await record(await loadFile(file), { seed: 1, requests: 2 }, { out, source: file, formats: ['sqlite'] });
    writeFileSync(file, 'export default defineScenario({ this is not TypeScript\n');
    const broken = await irptrace(['replay', `${out}.sqlite`, '--verify']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^irptrace: cannot re-execute .*doomed\.sqlite: its scenario .*doomed\.ts no longer loads/);
    // Where it broke, as `run` says it: the transform error's file:line:column is on its second line.
    expect(broken.stderr).toMatch(/doomed\.ts:1:\d+: ERROR: /);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    rmSync(file);
    await expect(verifyTrace(`${out}.sqlite`)).rejects.toThrow(ScenarioUnavailableError);
    await expect(verifyTrace(`${out}.sqlite`)).rejects.toThrow(/doomed\.ts no longer exists$/);
  });
});
