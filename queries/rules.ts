import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The catalogue's F/E/W (windows-semantics.md §4): fatal in Windows, a contract violation, a documented "should". */
export type Severity = 'fatal' | 'error' | 'warning';
export const SEVERITIES: readonly Severity[] = ['fatal', 'error', 'warning'];

/** One rule: a `.sql` file whose header comment says what it checks. */
export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** The Windows documentation sentence the rule checks. */
  readonly checks: string;
  /** Where that sentence comes from (windows-semantics.md citation tags). */
  readonly source: string;
  /** The statement: one row per violation with `seq`, optional `seq2`, `seq3`, …, and `message`. */
  readonly sql: string;
  readonly file: string;
  /** The file's line (1-based) where the statement starts: errors in it are located in the file. */
  readonly line: number;
}

/** A rule file or directory that cannot be used; the message names the file and the problem. */
export class RuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleError';
  }
}

/** The built-in pack's directory. */
export const BUILTIN_RULES_DIR = fileURLToPath(new URL('./rules/', import.meta.url));

const REQUIRED = ['id', 'title', 'severity', 'checks', 'source'] as const;
const ID = /^[A-Z][A-Za-z0-9]*$/;

/**
 * Parses a rule file: a header of `-- key: value` lines (id, title, severity, checks, source; a
 * line `--   more` continues the previous key), then the SQL. The id must be the file's name.
 */
export function parseRule(text: string, file: string): Rule {
  const fields = new Map<string, string>();
  let last: string | null = null;
  const lines = text.split(/\r?\n/);
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (!line.startsWith('--')) break;
    const keyed = /^--\s*([a-z]+):\s*(.*)$/.exec(line);
    if (keyed !== null && (REQUIRED as readonly string[]).includes(keyed[1]!)) {
      if (fields.has(keyed[1]!)) throw new RuleError(`${file}: header key "${keyed[1]}" appears twice`);
      last = keyed[1]!;
      fields.set(last, keyed[2]!.trim());
    } else if (last !== null && /^--\s{2,}\S/.test(line) && !/^--\s*$/.test(lines[i - 1] ?? '')) {
      fields.set(last, `${fields.get(last)!} ${line.slice(2).trim()}`);
    } else {
      last = null;
    }
  }
  for (const key of REQUIRED) {
    if (!fields.get(key)) throw new RuleError(`${file}: the header has no "-- ${key}:" line`);
  }
  const id = fields.get('id')!;
  if (!ID.test(id)) throw new RuleError(`${file}: rule id "${id}" is not a CamelCase name`);
  const stem = basename(file).replace(/\.sql$/i, '');
  if (stem !== id) throw new RuleError(`${file}: the rule id "${id}" differs from the file name "${stem}"`);
  const severity = fields.get('severity')!;
  if (!(SEVERITIES as readonly string[]).includes(severity)) {
    throw new RuleError(`${file}: severity "${severity}" is not one of ${SEVERITIES.join(', ')}`);
  }
  // Not trimmed at the start: a position in the statement is then a line and column of the file.
  const sql = lines.slice(i).join('\n').trimEnd().replace(/;\s*$/, '');
  if (sql.trim() === '') throw new RuleError(`${file}: there is no SQL after the header`);
  if (!/^\s*(SELECT|WITH|VALUES)\b/i.test(sql)) throw new RuleError(`${file}: the statement must be a SELECT (or WITH … SELECT)`);
  return Object.freeze({
    id, title: fields.get('title')!, severity: severity as Severity, checks: fields.get('checks')!, source: fields.get('source')!, sql, file, line: i + 1,
  });
}

/** Every `.sql` rule of a directory, sorted by id. */
export function loadRuleDir(dir: string): Rule[] {
  if (dir === '') throw new RuleError('--rules: the directory given is empty');
  if (!existsSync(dir)) throw new RuleError(`rules directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new RuleError(`${dir} is not a directory`);
  const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.sql')).sort();
  if (files.length === 0) throw new RuleError(`rules directory ${dir} has no .sql files`);
  return files.map((f) => parseRule(readRuleFile(join(dir, f)), join(dir, f)));
}

/** A rule file's text; a file that cannot be read (permissions, a directory named *.sql) is a RuleError. */
function readRuleFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RuleError(`${path}: cannot be read (${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : code ?? String(error)})`);
  }
}

export interface RuleSelection {
  /** Run only these rule ids (default: all). */
  readonly rules?: readonly string[];
  /** Extra directories of rule files, after the built-in pack. */
  readonly rulesDirs?: readonly string[];
  /** Leave out the built-in pack (tests, or a user's own pack only). */
  readonly builtin?: boolean;
}

/** The built-in pack plus extra directories, filtered by id. Unknown ids and duplicate ids are RuleErrors. */
export function loadRules(selection: RuleSelection = {}): Rule[] {
  const all: Rule[] = [];
  const byId = new Map<string, Rule>();
  const dirs = [...(selection.builtin === false ? [] : [BUILTIN_RULES_DIR]), ...(selection.rulesDirs ?? [])];
  for (const dir of dirs) {
    for (const rule of loadRuleDir(dir)) {
      const existing = byId.get(rule.id);
      if (existing !== undefined) throw new RuleError(`${rule.file}: rule id ${rule.id} is already defined by ${existing.file}`);
      byId.set(rule.id, rule);
      all.push(rule);
    }
  }
  if (selection.rules === undefined || selection.rules.length === 0) return all;
  return selection.rules.map((id) => {
    const rule = byId.get(id);
    if (rule === undefined) throw new RuleError(`unknown rule id "${id}" (see docs/queries.md for the list)`);
    return rule;
  });
}
