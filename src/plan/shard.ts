/**
 * Shards of a sweep (pure): which shard this process is (`--shard k/N`, or `--shard auto` from the
 * environment a batch engine sets), and which scenarios each shard runs.
 *
 * The split balances estimated work, not counts: an ESX-like scenario acting every 60 s costs five
 * times a static one on 5-minute ticks, and a year of a few thousand VMs far more than the sample.
 * Scenarios are dealt longest first to the least-loaded shard (longest-processing-time-first), ties
 * to the lower index and the lower shard, so the same experiment and N give the same split on every
 * machine (the costs are integers derived from the experiment and its traces, nothing measured).
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import type { Shard } from './experiment.js'

/** Where a shard's number came from, for messages. */
export interface ShardFromEnv extends Shard {
  readonly source: string
}

/** An environment variable holding a whole number >= 0 (array indices, counts). */
const WholeText = new t.Type<number, string, unknown>(
  'a whole number >= 0',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0,
  (u, c) => (typeof u === 'string' && /^\s*\d{1,9}\s*$/.test(u) ? t.success(Number(u)) : t.failure(u, c, `expected a whole number >= 0, found ${JSON.stringify(u)}`)),
  String,
)

type Env = Readonly<Record<string, string | undefined>>

/** A variable decoded with the codec above; its failure as a sentence naming it. */
const whole = (env: Env, name: string): E.Either<string, number | undefined> => {
  const v = env[name]
  if (v === undefined || v === '') return E.right(undefined)
  const d = WholeText.decode(v)
  return E.isRight(d) ? E.right(d.right) : E.left(`${name}: expected a whole number >= 0, found ${JSON.stringify(v)}`)
}

/** The engines `--shard auto` reads, by the variable holding the array index. */
export const ENGINES = [
  { index: 'SLURM_ARRAY_TASK_ID', engine: 'a Slurm job array' },
  { index: 'JOB_COMPLETION_INDEX', engine: 'a Kubernetes Indexed Job' },
  { index: 'AWS_BATCH_JOB_ARRAY_INDEX', engine: 'an AWS Batch array job' },
] as const

/** The variable (or flag) giving the shard count where the engine does not: Kubernetes, AWS Batch. */
export const SHARD_COUNT_VAR = 'MEMREPLAY_SHARD_COUNT'

/**
 * `--shard auto`: this process's shard from the environment. Slurm: SLURM_ARRAY_TASK_ID relative to
 * SLURM_ARRAY_TASK_MIN (default 0), over SLURM_ARRAY_TASK_COUNT (or MAX - MIN + 1), with
 * SLURM_ARRAY_TASK_STEP; a sparse array (--array=1,5,9) is refused, since its indices do not number
 * shards 1..N. Kubernetes and AWS Batch give a 0-based index only: the count is `count` (the
 * --shard-count flag) or MEMREPLAY_SHARD_COUNT. Given a count, a Slurm index is read the same way
 * (the shard's, from 0), so a part of the array can run again on its own.
 */
export const shardFromEnv = (env: Env, count?: string): E.Either<ReadonlyArray<string>, ShardFromEnv> => {
  const set = ENGINES.filter((e) => env[e.index] !== undefined && env[e.index] !== '')
  if (set.length === 0)
    return E.left([
      `--shard auto: no array index in the environment: expected ${ENGINES.map((e) => `${e.index} (${e.engine})`).join(', ')}; outside a batch engine give --shard k/N`,
    ])
  if (set.length > 1) return E.left([`--shard auto: ${set.map((e) => e.index).join(' and ')} are both set; which engine runs this is unclear: give --shard k/N`])
  const { index: indexVar } = set[0]
  const errors: string[] = []
  const get = (name: string): number | undefined => {
    const d = whole(env, name)
    if (E.isLeft(d)) errors.push(d.left)
    return E.isRight(d) ? d.right : undefined
  }
  const id = get(indexVar) as number
  const given = count === undefined ? get(SHARD_COUNT_VAR) : (() => {
    const d = WholeText.decode(count)
    if (E.isLeft(d)) errors.push(`--shard-count: expected a whole number >= 1, found ${JSON.stringify(count)}`)
    return E.isRight(d) ? d.right : undefined
  })()
  const countName = count === undefined ? SHARD_COUNT_VAR : '--shard-count'
  if (errors.length > 0) return E.left(errors)
  let k: number
  let n: number
  if (indexVar === 'SLURM_ARRAY_TASK_ID' && given === undefined) {
    const min = get('SLURM_ARRAY_TASK_MIN') ?? 0
    const max = get('SLURM_ARRAY_TASK_MAX')
    const step = get('SLURM_ARRAY_TASK_STEP') ?? 1
    const slurmCount = get('SLURM_ARRAY_TASK_COUNT')
    if (errors.length > 0) return E.left(errors)
    if (step < 1) return E.left([`SLURM_ARRAY_TASK_STEP: expected a whole number >= 1, found "${env.SLURM_ARRAY_TASK_STEP}"`])
    const span = max === undefined ? undefined : Math.floor((max - min) / step) + 1
    if (slurmCount !== undefined && span !== undefined && slurmCount !== span)
      return E.left([`--shard auto: a sparse Slurm array (SLURM_ARRAY_TASK_COUNT ${slurmCount}, MIN ${min}, MAX ${max}, STEP ${step}): its indices do not number shards 1..N; submit --array=0-${slurmCount - 1}, or give --shard-count N (then the index is the shard's, from 0)`])
    const slurmN = slurmCount ?? span
    if (slurmN === undefined) return E.left([`--shard auto: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX; give --shard-count N`])
    if (id < min || (id - min) % step !== 0) return E.left([`SLURM_ARRAY_TASK_ID: expected an index of the array (from ${min} in steps of ${step}), found ${id}`])
    k = (id - min) / step + 1
    n = slurmN
  } else {
    // With a count, every engine's index is the shard's from 0: a Slurm array of 0-(N-1), or any
    // part of it (sbatch --array=2 re-runs shard 3 alone).
    if (given === undefined) return E.left([`--shard auto: ${indexVar} gives this shard's index but not the count: give --shard-count N or set ${SHARD_COUNT_VAR}`])
    k = id + 1
    n = given
  }
  if (n < 1) return E.left([`${countName}: expected a whole number >= 1, found ${n}`])
  if (k > n) return E.left([`${indexVar}: expected an index below the shard count ${n}, found ${id}`])
  return E.right({ k, n, source: indexVar })
}

/**
 * A scenario's estimated cost: control steps per tick (at least 1: every policy does a tick's
 * bookkeeping) x VMs x ticks. Whole numbers, so the split never depends on float rounding.
 */
export const scenarioCost = (controlSeconds: number | undefined, trace: { readonly step: number; readonly ticks: number; readonly vmCount: number }): number => {
  const steps = controlSeconds !== undefined && controlSeconds > 0 ? Math.max(1, Math.ceil(trace.step / controlSeconds)) : 1
  return steps * Math.max(1, trace.vmCount) * Math.max(1, trace.ticks)
}

/**
 * Deal scenarios (by their costs, in scenario order) to n shards: heaviest first, each to the shard
 * with the least work so far; equal costs in scenario order, equal loads to the lower shard.
 * Returns each scenario's shard, 1..n. Greedy list scheduling: no shard exceeds total/n + the
 * largest single cost (and LPT is within 4/3 of the best split).
 */
export const balanceShards = (costs: ReadonlyArray<number>, n: number): ReadonlyArray<number> => {
  const order = costs.map((_, i) => i).sort((a, b) => costs[b] - costs[a] || a - b)
  const load = new Array<number>(n).fill(0)
  const shardOfScenario = new Array<number>(costs.length)
  for (const i of order) {
    let best = 0
    for (let j = 1; j < n; j++) if (load[j] < load[best]) best = j
    load[best] += costs[i]
    shardOfScenario[i] = best + 1
  }
  return shardOfScenario
}

/** The scenarios of one shard under balanceShards, in scenario order. */
export const shardByCost = <S>(scenarios: ReadonlyArray<S>, costs: ReadonlyArray<number>, shard: Shard): ReadonlyArray<S> => {
  const plan = balanceShards(costs, shard.n)
  return scenarios.filter((_, i) => plan[i] === shard.k)
}

/** `--out` for a shard may hold {k} and {n}: one template for every task of an array. */
export const shardOutDir = (template: string, shard: Shard): string => template.replace(/\{k\}/g, String(shard.k)).replace(/\{n\}/g, String(shard.n))
