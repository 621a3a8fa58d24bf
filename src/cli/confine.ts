/**
 * Confining policies. Built-in policies are trusted and replay in this process; what every policy is
 * given (host, VM settings, params, world) is deep-frozen first, so a policy that writes into its
 * context cannot change the results of the policies replayed after it (ES modules are strict: the
 * write throws, and the replay stops that policy with a message naming it).
 *
 * A user's policy module (--policy) is loaded, checked and replayed only in a worker thread with a
 * heap limit (resourceLimits.maxOldGenerationSizeMb), a watch on the process's resident memory (for
 * buffers outside the heap) and a wall-clock limit. An endless loop, unbounded allocation, a throw,
 * process.exit() or an async step stops that policy alone, with a sentence naming it and the limit;
 * the rest of the comparison completes. Limits: --policy-timeout <s> (default 600, counted once
 * the module has loaded; starting the worker and loading get at least LOAD_SECONDS) and
 * --policy-memory <MiB> (default 2048), or MEMREPLAY_POLICY_TIMEOUT / MEMREPLAY_POLICY_MEMORY.
 */
import { workerEntry } from '../runtime.js'
import { Worker } from 'node:worker_threads'
import * as t from 'io-ts'
import type { AnyPolicy, PolicyTraits } from '../engine/policy.js'
import { InputError } from './inputs.js'

export interface PolicyLimits {
  /** Wall-clock seconds one policy's work in its worker may take. */
  readonly timeoutSeconds: number
  /** Heap of the worker, MiB; the process's resident memory may grow by this plus the inputs' size. */
  readonly memoryMiB: number
}

export const DEFAULT_LIMITS: PolicyLimits = { timeoutSeconds: 600, memoryMiB: 2048 }

const positive = (option: string, v: string, max: number): number => {
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new InputError([`${option}: expected a number above 0 and at most ${max}, found "${v}"`])
  return n
}

/** --policy-timeout / --policy-memory, else the environment, else the defaults. */
export const readPolicyLimits = (flags: { readonly policyTimeout?: string; readonly policyMemory?: string }, env: NodeJS.ProcessEnv = process.env): PolicyLimits => {
  const timeout = flags.policyTimeout ?? env.MEMREPLAY_POLICY_TIMEOUT
  const memory = flags.policyMemory ?? env.MEMREPLAY_POLICY_MEMORY
  return {
    timeoutSeconds: timeout === undefined ? DEFAULT_LIMITS.timeoutSeconds : positive(flags.policyTimeout === undefined ? 'MEMREPLAY_POLICY_TIMEOUT' : '--policy-timeout', timeout, 7 * 24 * 3600),
    memoryMiB: memory === undefined ? DEFAULT_LIMITS.memoryMiB : Math.round(positive(flags.policyMemory === undefined ? 'MEMREPLAY_POLICY_MEMORY' : '--policy-memory', memory, 1024 * 1024)),
  }
}

/** Freeze an object graph (typed arrays, which cannot be frozen, are left as they are). */
export const deepFreeze = <A>(x: A): A => {
  if (typeof x !== 'object' || x === null || ArrayBuffer.isView(x) || Object.isFrozen(x)) return x
  Object.freeze(x)
  for (const v of Object.values(x as object)) deepFreeze(v)
  return x
}

const isThenable = (x: unknown): x is PromiseLike<unknown> =>
  (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { then?: unknown }).then === 'function'

/** Swallow a promise's rejection: it was already reported as an async step. */
const quiet = (p: PromiseLike<unknown>): void => void Promise.resolve(p).catch(() => undefined)

/** A write into frozen inputs, said as the contract says it (the engine's TypeError names no policy). */
const readOnly = <A>(name: string, fn: string, f: () => A): A => {
  try {
    return f()
  } catch (err) {
    if (err instanceof TypeError && /read only property|not extensible|Cannot add property|Cannot delete property|Cannot assign/.test(err.message))
      throw new Error(`policy ${name}: ${fn} wrote into what it was given (${err.message}); its context and params are read-only: keep what changes in the state`)
    throw err
  }
}

/**
 * A user policy with its contract checked at run time: init and step must be synchronous, a step
 * must return [state, decision]. A breach throws a sentence, which the replay reports as the
 * policy's stop ("policy X ... step returned a Promise; steps must be synchronous").
 */
export const guardedPolicy = (p: AnyPolicy): AnyPolicy => ({
  ...p,
  init: (context, params) => {
    const s = readOnly(p.name, 'init', () => p.init(context, params))
    if (isThenable(s)) {
      quiet(s)
      throw new Error(`policy ${p.name}: init returned a Promise; init must be synchronous`)
    }
    return s
  },
  step: (state, observation, scratch) => {
    const r = readOnly(p.name, 'step', () => p.step(state, observation, scratch)) as unknown
    if (isThenable(r)) {
      quiet(r)
      throw new Error(`policy ${p.name}: step returned a Promise; steps must be synchronous`)
    }
    if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== 'object' || r[1] === null)
      throw new Error(`policy ${p.name}: step returned ${Array.isArray(r) ? `an array of ${r.length}` : r === null ? 'null' : typeof r}; expected [state, decision]`)
    return r as unknown as ReturnType<AnyPolicy['step']>
  },
})

/** What the main process knows of a user policy: everything but its functions, which stay in workers. */
export interface PolicyMeta {
  readonly name: string
  readonly description: string
  readonly traits: PolicyTraits
  readonly defaults: unknown
  readonly controlSeconds?: number
  readonly pageSamples?: boolean
  readonly notes?: ReadonlyArray<string>
}

/** A stand-in for a user policy in the main process (reports, weights); it replays only in a worker. */
export const remotePolicy = (meta: PolicyMeta, module: string): AnyPolicy & { readonly module: string } => {
  const elsewhere = (): never => {
    throw new Error(`policy ${meta.name} (${module}) replays only in its worker`)
  }
  return { ...meta, params: t.unknown, module, init: elsewhere, step: elsewhere }
}

/** Seconds a worker may take to start and load a module, at least (a user's TypeScript module is compiled by tsx as it loads). */
export const LOAD_SECONDS = 120

export const POLICY_WORKER = workerEntry('policy-worker')

export type WorkerOutcome<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: string }

/**
 * Run one task on a fresh worker thread under the limits. `who` names the policy in sentences
 * ("policy module my.ts"); `extraMiB` is what the task's inputs add to the process's memory.
 * Never rejects: every way the worker can end is a sentence.
 */
export const runInWorker = <A>(task: unknown, who: string, limits: PolicyLimits, extraMiB = 0, onEvent?: (event: unknown) => void): Promise<WorkerOutcome<A>> =>
  new Promise((resolve) => {
    const rss0 = process.memoryUsage.rss()
    let settled = false
    let worker: Worker
    try {
      worker = new Worker(POLICY_WORKER, {
        workerData: task,
        resourceLimits: { maxOldGenerationSizeMb: limits.memoryMiB, maxYoungGenerationSizeMb: Math.min(64, Math.max(4, limits.memoryMiB / 8)) },
      })
    } catch (err) {
      resolve({ ok: false, error: `${who}: cannot start its worker (${(err as Error).message})` })
      return
    }
    const finish = (o: WorkerOutcome<A>): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearInterval(watch)
      void worker.terminate()
      resolve(o)
    }
    // Two clocks: starting the thread and loading the module (TypeScript is compiled then) get at
    // least LOAD_SECONDS; the policy's own work gets --policy-timeout from the moment it is loaded.
    const load = Math.max(LOAD_SECONDS, limits.timeoutSeconds)
    let timer = setTimeout(
      () => finish({ ok: false, error: `${who}: did not finish loading within ${load} s (an endless loop when the module loads?); raise the limit with --policy-timeout <seconds>` }),
      load * 1000,
    )
    // Buffers and typed arrays live outside the heap limit: watch the whole process's memory.
    const ceiling = rss0 + (limits.memoryMiB + extraMiB + 512) * 1024 * 1024
    const watch = setInterval(() => {
      if (process.memoryUsage.rss() > ceiling)
        finish({ ok: false, error: `${who}: stopped: it exceeded its memory budget of ${limits.memoryMiB} MiB (outside the heap; raise it with --policy-memory <MiB>)` })
    }, 100)
    worker.on('message', (m: WorkerOutcome<A> | { readonly loaded: true } | { readonly event: unknown }) => {
      if ('event' in m) return void onEvent?.(m.event) // progress along the way (plan's search)
      if (!('loaded' in m)) return finish(m)
      clearTimeout(timer)
      timer = setTimeout(
        () => finish({ ok: false, error: `${who}: stopped after the time limit of ${limits.timeoutSeconds} s (raise it with --policy-timeout <seconds>)` }),
        limits.timeoutSeconds * 1000,
      )
    })
    worker.on('error', (err: Error & { code?: string }) =>
      finish({
        ok: false,
        error:
          err.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory|heap limit/i.test(err.message)
            ? `${who}: stopped: it exceeded its memory budget of ${limits.memoryMiB} MiB (raise it with --policy-memory <MiB>)`
            : `${who}: failed: ${err.message}`,
      }),
    )
    worker.on('exit', (code) => finish({ ok: false, error: `${who}: ended its worker (process.exit(${code})?) before finishing; a policy may not exit the process` }))
  })
