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
        visit(viewSql(name).replace(new RegExp(`^--.*$`, 'gm'), ''));
      }
    }
  };
  for (const sql of sqls) visit(sql);
  return VIEW_NAMES.filter((n) => wanted.has(n));
}

/**
 * Creates the views in the TEMP schema: as views (computed when queried), or materialized as TEMP
 * tables with indexes (`materialize`: what the rule pack does, since most rules read them).
 * `only` limits materialization to some views; the others stay plain views.
 */
export function createViews(db: Database.Database, options: { materialize?: readonly ViewName[] } = {}): void {
  const materialize = new Set(options.materialize ?? []);
  for (const name of VIEW_NAMES) {
    if (materialize.has(name)) {
      db.exec(`CREATE TEMP TABLE ${name} AS ${viewSql(name)}`);
      for (const columns of VIEW_INDEXES[name]) {
        db.exec(`CREATE INDEX temp.${name}_${columns.replace(/\W+/g, '_')} ON ${name} (${columns})`);
      }
    } else {
      db.exec(`CREATE TEMP VIEW ${name} AS ${viewSql(name)}`);
    }
  }
}
