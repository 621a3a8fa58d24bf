/**
 * The searches of a plan, as pure functions over an evaluation (a cluster replay, or anything else
 * in tests).
 *
 * Both rely on MONOTONICITY: more memory (more hosts, or larger hosts) never makes the service-level
 * figures worse (the world model's law). A replay of a month costs seconds to minutes, so a plan
 * cannot try every host count; with the law it need not:
 *
 *   gallop   a generator over whole points k in [from, to]: it yields a point to evaluate and is sent
 *            whether it met. It gallops (from, from+1, from+3, from+7, ...: 1, 2, 4, 8 hosts from 1)
 *            until a point meets, then bisects between the largest failing and the smallest meeting
 *            point. About 2 log2(answer) evaluations instead of answer. Whatever the figures do, the
 *            answer meets and the point below it was seen to fail (or is below `from`): it is a local
 *            minimum, the global one when the law holds.
 *   smallestHosts  the fewest hosts N in [from, to]: placement alone (cheap, no replay) is galloped
 *            first to the first N at which placement no longer refuses too many VMs (a refused VM
 *            stays refused), then replays gallop from there.
 *   smallestSize   the same over host sizes (multiples of `granularity`) with N hosts.
 */

export interface Probe<R> {
  /** Evaluated point: a host count or a host size (MiB). */
  readonly at: number
  /** Did placement alone settle it (no replay)? */
  readonly screened: boolean
  readonly result: R
  readonly meets: boolean
}

export interface ScanResult<R> {
  /** The smallest point found to meet (see the module note), or null if none in range. */
  readonly found: number | null
  /** Every point evaluated, ascending. */
  readonly probes: ReadonlyArray<Probe<R>>
}

export interface Evaluator<R> {
  /** Cheap check: undefined if placement does not settle it; else the (failing) result to record. */
  readonly screen: (at: number) => R | undefined
  /** Full evaluation (replay). */
  readonly evaluate: (at: number) => R
  readonly meets: (r: R) => boolean
}

/** The next point of a gallop-then-bisect over [from, to], given the largest failing (lo) and smallest meeting (hi) points so far; null when settled. */
export const nextPoint = (from: number, to: number, lo: number, hi: number | null): number | null => {
  if (hi === null) return lo >= to ? null : Math.min(to, Math.max(lo + 1, 2 * lo - from + 1))
  return hi - lo <= 1 ? null : Math.floor((lo + hi) / 2)
}

/** Gallop then bisect (see the module note): yields points, is sent whether each met, returns the answer. */
export function* gallop(from: number, to: number): Generator<number, number | null, boolean> {
  let lo = from - 1
  let hi: number | null = from > to ? from - 1 : null
  if (from > to) return null
  for (let at = nextPoint(from, to, lo, hi); at !== null; at = nextPoint(from, to, lo, hi)) {
    const meets: boolean = yield at
    if (meets) hi = hi === null ? at : Math.min(hi, at)
    else lo = Math.max(lo, at)
  }
  return hi
}

/** Run a gallop to its end with a synchronous test. */
export const runGallop = (from: number, to: number, test: (at: number) => boolean): number | null => {
  const g = gallop(from, to)
  let step = g.next()
  while (!step.done) step = g.next(test(step.value))
  return step.value
}

/** An evaluation whose replay is a generator of progress events E (a cluster yields one per host replayed). */
export interface SteppedEvaluator<R, E> {
  readonly screen: (at: number) => R | undefined
  readonly evaluate: (at: number) => Generator<E, R, void>
  readonly meets: (r: R) => boolean
}

/** Yielded after each point is evaluated: the point, and every point so far (ascending). */
export interface ProbeEvent<R> {
  readonly kind: 'probe'
  readonly probe: Probe<R>
  readonly probes: ReadonlyArray<Probe<R>>
}

const sortedProbes = <R>(tried: ReadonlyMap<number, Probe<R>>): ReadonlyArray<Probe<R>> => [...tried.values()].sort((a, b) => a.at - b.at)

/**
 * The search of the module note as a generator: yields the evaluator's events and a ProbeEvent
 * after each point, returns the result. Drive it synchronously (drain) or with pauses between
 * events (the command line, so that an interrupt is heard between host replays).
 */
export function* searchSteps<R, E>(ev: SteppedEvaluator<R, E>, from: number, to: number): Generator<E | ProbeEvent<R>, ScanResult<R>, void> {
  const tried = new Map<number, Probe<R>>()
  function* at(k: number): Generator<E | ProbeEvent<R>, Probe<R>, void> {
    const known = tried.get(k)
    if (known !== undefined) return known
    const s = ev.screen(k)
    let p: Probe<R>
    if (s !== undefined) p = { at: k, screened: true, result: s, meets: false }
    else {
      const r = yield* ev.evaluate(k)
      p = { at: k, screened: false, result: r, meets: ev.meets(r) }
    }
    tried.set(k, p)
    yield { kind: 'probe', probe: p, probes: sortedProbes(tried) }
    return p
  }
  // Placement alone first: no replay below the first point placement accepts.
  const placed = runGallop(from, to, (k) => ev.screen(k) === undefined)
  if (placed === null) {
    yield* at(to) // recorded: placement refuses even at the largest point
    return { found: null, probes: sortedProbes(tried) }
  }
  if (placed > from) yield* at(placed - 1) // recorded: the largest point placement refuses
  const g = gallop(placed, to)
  let step = g.next()
  while (!step.done) step = g.next((yield* at(step.value)).meets)
  return { found: step.value, probes: sortedProbes(tried) }
}

/** Run a generator to its end, ignoring what it yields. */
export const drain = <T>(g: Generator<unknown, T, void>): T => {
  let step = g.next()
  while (!step.done) step = g.next()
  return step.value
}

const stepped = <R>(ev: Evaluator<R>): SteppedEvaluator<R, never> => ({
  screen: ev.screen,
  // eslint-disable-next-line require-yield
  evaluate: function* (at) {
    return ev.evaluate(at)
  },
  meets: ev.meets,
})

/** The fewest hosts N in [from, to] that meet (see the module note). */
export const smallestHosts = <R>(ev: Evaluator<R>, from: number, to: number): ScanResult<R> => drain(searchSteps(stepped(ev), Math.max(1, from), to))

/**
 * The smallest size k x granularity (k >= 1, size <= max) that meets; see the module note.
 * `screenFrom`: a size from which to start the placement-only search (a multiple of granularity).
 */
export const smallestSize = <R>(ev: Evaluator<R>, granularity: number, max: number, screenFrom = granularity): ScanResult<R> & { readonly assumedMonotone: boolean } => {
  const g = granularity
  const scaled: Evaluator<R> = { screen: (k) => ev.screen(k * g), evaluate: (k) => ev.evaluate(k * g), meets: ev.meets }
  const r = smallestHosts(scaled, Math.max(1, Math.round(screenFrom / g)), Math.floor(max / g))
  return {
    found: r.found === null ? null : r.found * g,
    probes: r.probes.map((p) => ({ ...p, at: p.at * g })),
    assumedMonotone: r.probes.some((p) => !p.screened),
  }
}
