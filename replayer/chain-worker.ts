import { parentPort } from 'node:worker_threads';
import { decodeBatch, lastRowPoint, type BatchEntry, type DictionaryEpoch, type FieldLayout } from './arrow-batch.js';
import { verifyColumns } from './column-chain.js';
import { BUSY, CLAIMED_BY_WORKER, DONE, FAILED, FREE, HEADER, NEXT, type ChainJob, type ChainWorkerMessage } from './chain-protocol.js';

/**
 * The chain-checking thread: checks record batches of an Arrow trace while the main thread folds
 * them (chain-pool.ts). Each batch is checked from the stored chain point of the row before it, so
 * batches are independent: the thread claims them in order through the job's shared counter and
 * marks each DONE or FAILED; the main thread re-checks a FAILED one itself for the exact error.
 */
interface OpenTrace {
  readonly path: string;
  readonly fd: number;
  readonly layouts: readonly FieldLayout[];
  readonly batches: readonly BatchEntry[];
  readonly dictionaries: ReadonlyMap<number, readonly DictionaryEpoch[]>;
}

const traces = new Map<number, OpenTrace>();
let body = Buffer.alloc(0);

function run(job: ChainJob): void {
  const trace = traces.get(job.trace);
  const ctl = new Int32Array(job.control);
  if (trace === undefined) return;
  for (;;) {
    if (Atomics.load(ctl, BUSY) !== 1) return;
    const k = Atomics.add(ctl, NEXT, 1);
    if (k >= job.count) return;
    if (Atomics.compareExchange(ctl, HEADER + k, FREE, CLAIMED_BY_WORKER) !== FREE) continue;
    let result = DONE;
    try {
      const b = job.first + 1 + k;
      const entry = trace.batches[b]!;
      if (body.length < entry.bodyLength) body = Buffer.allocUnsafeSlow(Math.max(entry.bodyLength, 1 << 20));
      const point = lastRowPoint(trace.path, trace.fd, trace.batches[b - 1]!, trace.layouts);
      const block = decodeBatch(trace.path, trace.fd, b, entry, trace.layouts, trace.dictionaries, body);
      verifyColumns(trace.path, block, 0, k === job.count - 1 ? job.lastStop : entry.rows, point);
    } catch {
      result = FAILED;
    }
    Atomics.store(ctl, HEADER + k, result);
    Atomics.notify(ctl, HEADER + k);
  }
}

parentPort!.on('message', (message: ChainWorkerMessage) => {
  if (message.op === 'open') {
    // The main thread's own descriptor (threads share them): the very file it folds, even if the
    // path has been replaced since; reads give their position, so they do not interfere.
    traces.set(message.trace, { path: message.path, fd: message.fd, layouts: message.layouts, batches: message.batches, dictionaries: message.dictionaries });
  } else if (message.op === 'close') {
    traces.delete(message.trace);
  } else {
    run(message);
  }
});
parentPort!.postMessage('ready');
