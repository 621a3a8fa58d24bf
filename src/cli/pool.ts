/**
 * The pool that runs the built-in policies of one command side by side (compare; plan's searches):
 * worker threads (piscina), one policy per task, the costliest dealt first (longest processing time
 * first: a slow policy started last would keep one thread busy while the others idle), at most one
 * thread per core and per task. The serial path (`--workers 1`) calls the very function the workers
 * run, in this thread, so the results are the same whatever the number of workers.
 *
 * The trace is shared, not copied: its columns are moved once into one SharedArrayBuffer
 * (shareTrace), and a typed array over shared memory crosses to a worker as a view of the same
 * bytes. Only the small parts (ids, settings, params) are cloned per task.
 * User policy modules (--policy) do not come here: they stay confined on their own workers (confine.ts).
 */
import * as os from 'node:os'
import { Piscina } from 'piscina'
import type { TransferListItem } from 'node:worker_threads'
import type { Trace, VmTrace } from '../trace/trace.js'
import { InputError } from './inputs.js'

/** Threads for `tasks` tasks: `--workers` if given (at least 1), else one per core; never more than the tasks or the cores. */
export const poolSize = (requested: string | undefined, tasks: number): number => {
  const n = requested === undefined ? os.availableParallelism() : Number(requested)
  if (!Number.isInteger(n) || n < 1) throw new InputError([`--workers: expected a whole number >= 1, found "${requested}"`])
  return Math.max(1, Math.min(n, tasks, os.availableParallelism()))
}

/** A policy's relative cost on a trace: its control steps per tick (ESX-like policies act every 60 s, five times a 5-minute tick's work). */
export const stepsPerTick = (policy: { readonly controlSeconds?: number }, stepSeconds: number): number =>
  policy.controlSeconds !== undefined && policy.controlSeconds > 0 ? Math.max(1, Math.ceil(stepSeconds / policy.controlSeconds)) : 1

/** Indices of `costs`, costliest first; equal costs keep their order (deterministic). */
export const longestFirst = (costs: ReadonlyArray<number>): ReadonlyArray<number> => costs.map((_, i) => i).sort((a, b) => costs[b] - costs[a] || a - b)

/**
 * The same trace with every typed-array column of every VM moved into one SharedArrayBuffer (one
 * copy, here; none per worker). Values are the same bits, so a replay reads the same numbers.
 */
export const shareTrace = (trace: Trace): Trace => {
  const columns = (vm: VmTrace): Array<[string, ArrayBufferView & ArrayLike<number>]> =>
    Object.entries(vm).filter((e): e is [string, ArrayBufferView & ArrayLike<number>] => ArrayBuffer.isView(e[1]) && !(e[1] instanceof DataView))
  const align = (n: number): number => Math.ceil(n / 8) * 8
  let bytes = 0
  for (const vm of trace.vms) for (const [, a] of columns(vm)) bytes += align(a.byteLength)
  const sab = new SharedArrayBuffer(Math.max(8, bytes))
  let at = 0
  const vms = trace.vms.map((vm) => {
    const shared: Record<string, unknown> = { ...vm }
    for (const [key, a] of columns(vm)) {
      const Ctor = a.constructor as new (b: SharedArrayBuffer, offset: number, length: number) => ArrayBufferView & ArrayLike<number>
      const view = new Ctor(sab, at, a.length)
      new Uint8Array(sab, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
      shared[key] = view
      at += align(a.byteLength)
    }
    return shared as unknown as VmTrace
  })
  return { ...trace, vms }
}

/** Runs tasks: in this thread (`workers` 1) or on a pool of worker threads. */
export interface TaskRunner<T, R> {
  readonly workers: number
  /** `transfer`: what moves to the thread rather than being copied (a MessagePort must). */
  readonly run: (task: T, transfer?: ReadonlyArray<TransferListItem>) => Promise<R>
  readonly close: () => Promise<void>
}

/**
 * A runner for `workers` threads of `entry` (a piscina module whose default export is the task
 * function), or `local` in this thread when `workers` is 1. Threads start now: started before the
 * trace is read, they load their code meanwhile.
 */
export const taskRunner = <T, R>(entry: string, workers: number, local: (task: T) => R | Promise<R>): TaskRunner<T, R> => {
  if (workers <= 1) return { workers: 1, run: async (task) => local(task), close: async () => {} }
  // stricterFIFO: by default piscina sends a task it cannot hand to a busy pool to the back of its
  // queue, one per dispatch, which scrambles the costliest-first order (runAll).
  const pool = new Piscina({ filename: entry, minThreads: workers, maxThreads: workers, idleTimeout: 60_000, stricterFIFO: true })
  return { workers, run: (task, transfer) => pool.run(task, transfer === undefined ? {} : { transferList: [...transfer] }) as Promise<R>, close: () => pool.destroy() }
}

/**
 * Run every task, costliest first, as many at a time as the runner has threads; results in task
 * order. With one thread the tasks run one after the other in this thread.
 */
export const runAll = async <T, R>(runner: TaskRunner<T, R>, tasks: ReadonlyArray<T>, costs: ReadonlyArray<number>, onDone: (i: number) => void = () => {}): Promise<ReadonlyArray<R>> => {
  const out = new Array<R>(tasks.length)
  const order = longestFirst(costs)
  if (runner.workers <= 1) {
    for (const i of order) {
      out[i] = await runner.run(tasks[i])
      onDone(i)
    }
    return out
  }
  // Piscina hands queued tasks to threads in the order they were submitted.
  await Promise.all(
    order.map(async (i) => {
      out[i] = await runner.run(tasks[i])
      onDone(i)
    }),
  )
  return out
}

/**
 * Progress from worker threads: a shared counter they add to (Atomics) and this thread reads on a
 * timer, handing the difference to `tick`. In this thread's own replays (serial), `add` ticks at once.
 */
export const sharedProgress = (tick: (n: number) => void): { readonly counter: Int32Array; readonly stop: () => void } => {
  const counter = new Int32Array(new SharedArrayBuffer(4))
  let seen = 0
  const poll = (): void => {
    const now = Atomics.load(counter, 0)
    if (now > seen) tick(now - seen)
    seen = now
  }
  const timer = setInterval(poll, 200)
  timer.unref()
  return {
    counter,
    stop: () => {
      clearInterval(timer)
      poll()
    },
  }
}
