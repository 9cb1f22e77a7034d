import type { Command } from 'commander';

/** `irptrace scenarios [--json]`: the built-in scenarios, and the rule each buggy one plants. */
export function registerScenarios(program: Command): void {
  program
    .command('scenarios')
    .description('list the built-in scenarios (and, for buggy ones, the rule they plant)')
    .option('--json', 'print a JSON array of { name, description, plants }')
    .action(async (options: { json?: boolean }) => {
      const { BUILTIN_SCENARIOS } = await import('../../scenarios/index.js');
      const list = BUILTIN_SCENARIOS.map((s) => ({ name: s.name, description: s.description, plants: [...(s.plants ?? [])] }));
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      const width = Math.max(...list.map((s) => s.name.length));
      const lines = list.map((s) => {
        const plants = s.plants.length > 0 ? `\n  ${' '.repeat(width)}  plants: ${s.plants.join(', ')}` : '';
        return `  ${s.name.padEnd(width)}  ${s.description}${plants}`;
      });
      process.stdout.write(`Built-in scenarios (irptrace run <name>):\n\n${lines.join('\n')}\n`);
    });
}
