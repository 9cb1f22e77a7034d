/* The query engine: a trace opened read-only, with the views of queries/views. */
export { TraceQuery, QueryError, sqliteError, READING_PRAGMAS, type QueryResult, type OpenOptions } from './engine.js';
export { VIEW_NAMES, viewSql, viewsUsedBy, viewStatements, createViews, type ViewName } from './views.js';

/* The rule pack. */
export { loadRules, loadRuleDir, parseRule, RuleError, BUILTIN_RULES_DIR, SEVERITIES, type Rule, type RuleSelection, type Severity } from './rules.js';
export { checkTrace, runPack, runRules, splitRules, type CheckOptions, type CheckResult, type Finding, type FindingEvent, type RuleTiming } from './check.js';
export { formatFindings, formatRows, type RowFormat } from './format.js';
