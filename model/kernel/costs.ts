/**
 * Simulated cost, in ns, of each kernel call: what the call advances its processor's clock by,
 * before a seeded jitter of up to half as much again. Rough orders of magnitude for a modern x64
 * machine; they shape the interleavings, not any claim about real timings.
 */
export const API_COST_NS = {
  irql: 20,
  spinLock: 40,
  spinWait: 60,
  dpcInsert: 80,
  irpAlloc: 300,
  irpFree: 150,
  callDriver: 120,
  completeRequest: 200,
  register: 400,
  event: 100,
  wait: 200,
  interruptEntry: 500,
  dpcEntry: 300,
  apc: 400,
  startPacket: 150,
  cancel: 150,
  ioManager: 1500,
  driverLoad: 5000,
  threadCreate: 2000,
} as const;
export type ApiCost = keyof typeof API_COST_NS;
