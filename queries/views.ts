import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * The views every trace gets when it is opened for querying, in dependency order (dpc_runs,
 * isr_runs and completion_walks read routine_runs). Their SQL lives in queries/views/<name>.sql,
 * whose header comment documents the columns.
 */
export const VIEW_NAMES = ['routine_runs', 'irp_lifetimes', 'irql_intervals', 'dpc_runs', 'isr_runs', 'completion_walks'] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

/** Indexes a materialized view gets (TEMP tables only: the trace file is never changed). */
const VIEW_INDEXES: Readonly<Record<ViewName, readonly string[]>> = {
  routine_runs: ['activation', 'irp', 'kind'],
  irp_lifetimes: ['irp', 'parent_irp', 'master'],
  irql_intervals: ['cpu, from_seq'],
  dpc_runs: ['queued_seq', 'dpc', 'activation'],
  isr_runs: ['activation'],
  completion_walks: ['irp', 'activation'],
};

const cache = new Map<ViewName, string>();

/** The SELECT behind a view (its file, comments included). */
export function viewSql(name: ViewName): string {
  let sql = cache.get(name);
  if (sql === undefined) {
    sql = readFileSync(new URL(`./views/${name}.sql`, import.meta.url), 'utf8').trim().replace(/;\s*$/, '');
    cache.set(name, sql);
  }
  return sql;
}

/** The views a piece of SQL mentions, with the views they need, in creation order. */
export function viewsUsedBy(sqls: readonly string[]): ViewName[] {
  const wanted = new Set<ViewName>();
  const visit = (text: string): void => {
    for (const name of VIEW_NAMES) {
      if (!wanted.has(name) && new RegExp(`\\b${name}\\b`, 'i').test(text)) {
        wanted.add(name);
        visit(viewSql(name).replace(/--[^\n]*/g, ''));
      }
    }
  };
  // Comments are left out: a rule may name a view in a comment without reading it. (A view missed
  // this way still exists, as a plain view: slower, never wrong.)
  for (const sql of sqls) visit(sql.replace(/--[^\n]*/g, ''));
  return VIEW_NAMES.filter((n) => wanted.has(n));
}

/**
 * The statements that create the views in the TEMP schema: as views (computed when queried), or
 * materialized as TEMP tables with indexes (`materialize`: what the rule pack does, since most rules
 * read them). Views not in `materialize` stay plain views.
 */
export function viewStatements(materialize: readonly ViewName[] = []): string[] {
  const wanted = new Set(materialize);
  const statements: string[] = [];
  for (const name of VIEW_NAMES) {
    if (wanted.has(name)) {
      statements.push(`CREATE TEMP TABLE ${name} AS ${viewSql(name)}`);
      for (const columns of VIEW_INDEXES[name]) {
        statements.push(`CREATE INDEX temp.${name}_${columns.replace(/\W+/g, '_')} ON ${name} (${columns})`);
      }
    } else {
      statements.push(`CREATE TEMP VIEW ${name} AS ${viewSql(name)}`);
    }
  }
  return statements;
}

/** Creates the views in the TEMP schema (see viewStatements). */
export function createViews(db: Database.Database, options: { materialize?: readonly ViewName[] } = {}): void {
  for (const sql of viewStatements(options.materialize)) db.exec(sql);
}
