import type { ScenarioDefinition } from '../model/index.js';
import associatedMprOrphan from './associated-mpr-orphan.js';
import callDriverAtDispatch from './calldriver-at-dispatch.js';
import demo from './demo.js';
import doubleCompletion from './double-completion.js';
import dpcFromDispatch from './dpc-from-dispatch.js';
import irqlNotRestored from './irql-not-restored.js';
import masterCompletedEarly from './master-completed-early.js';
import originalCompletedBeforeFree from './original-completed-before-free.js';
import pendingButSuccess from './pending-but-success.js';
import reuseBuildIrp from './reuse-build-irp.js';
import reuseIrp from './reuse-irp.js';
import successWithoutMark from './success-without-mark.js';
import threadNotTerminated from './thread-not-terminated.js';
import threadedDpc from './threaded-dpc.js';
import threadedDpcWait from './threaded-dpc-wait.js';
import touchAfterComplete from './touch-after-complete.js';
import workerThread from './worker-thread.js';

/** The built-in scenarios, the correct stacks first. Buggy variants declare the rule ids they plant. */
export const BUILTIN_SCENARIOS: readonly ScenarioDefinition[] = Object.freeze([
  demo,
  workerThread,
  reuseIrp,
  threadedDpc,
  originalCompletedBeforeFree,
  masterCompletedEarly,
  associatedMprOrphan,
  pendingButSuccess,
  successWithoutMark,
  dpcFromDispatch,
  callDriverAtDispatch,
  touchAfterComplete,
  irqlNotRestored,
  doubleCompletion,
  threadNotTerminated,
  reuseBuildIrp,
  threadedDpcWait,
]);

/** A built-in scenario by name. */
export function findBuiltin(name: string): ScenarioDefinition | undefined {
  return BUILTIN_SCENARIOS.find((s) => s.name === name);
}
