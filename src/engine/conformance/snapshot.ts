/**
 * Deep snapshots of what a policy is handed (observation, context, previous state), to find out
 * whether the policy changed any of it. Typed arrays, arrays, plain objects, Maps and Sets are
 * copied; functions and other class instances are kept by identity. Cycles are handled.
 */

type Snap =
  | { readonly k: 'prim'; readonly v: unknown }
  | { readonly k: 'typed'; readonly ctor: string; readonly v: ReadonlyArray<number | bigint> }
  | { readonly k: 'array'; readonly v: ReadonlyArray<Snap> }
  | { readonly k: 'object'; readonly v: ReadonlyArray<readonly [string, Snap]> }
  | { readonly k: 'map'; readonly v: ReadonlyArray<readonly [unknown, Snap]> }
  | { readonly k: 'set'; readonly v: ReadonlyArray<unknown> }
  | { readonly k: 'ref'; readonly v: unknown }
  | { readonly k: 'cycle'; readonly v: unknown }

export interface Snapshot {
  readonly root: unknown
  readonly snap: Snap
}

const isTyped = (x: unknown): x is ArrayLike<number | bigint> & { constructor: { name: string } } => ArrayBuffer.isView(x) && !(x instanceof DataView)

const take = (x: unknown, seen: Set<unknown>): Snap => {
  if (x === null || (typeof x !== 'object' && typeof x !== 'function')) return { k: 'prim', v: x }
  if (typeof x === 'function') return { k: 'ref', v: x }
  if (seen.has(x)) return { k: 'cycle', v: x }
  if (isTyped(x)) return { k: 'typed', ctor: x.constructor.name, v: Array.from(x) }
  seen.add(x)
  try {
    if (Array.isArray(x)) return { k: 'array', v: x.map((e) => take(e, seen)) }
    if (x instanceof Map) return { k: 'map', v: [...x.entries()].map(([key, val]) => [key, take(val, seen)] as const) }
    if (x instanceof Set) return { k: 'set', v: [...x.values()] }
    const proto = Object.getPrototypeOf(x)
    if (proto === Object.prototype || proto === null) return { k: 'object', v: Object.keys(x).map((key) => [key, take((x as Record<string, unknown>)[key], seen)] as const) }
    return { k: 'ref', v: x }
  } finally {
    seen.delete(x)
  }
}

/** A deep copy of x's contents, to compare with x later. */
export const snapshot = (x: unknown): Snapshot => ({ root: x, snap: take(x, new Set()) })

const same = (a: unknown, b: unknown): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b))

const where = (path: string): string => (path === '' ? '(the value itself)' : path)

const diff = (s: Snap, x: unknown, path: string): string | undefined => {
  switch (s.k) {
    case 'prim':
      return same(s.v, x) ? undefined : `${where(path)} was ${fmt(s.v)}, now ${fmt(x)}`
    case 'ref':
    case 'cycle':
      return s.v === x ? undefined : `${where(path)} was replaced`
    case 'typed': {
      if (!isTyped(x)) return `${where(path)} was a ${s.ctor}, now ${fmt(x)}`
      if (x.length !== s.v.length) return `${where(path)} had length ${s.v.length}, now ${x.length}`
      for (let i = 0; i < s.v.length; i++) if (!same(s.v[i], x[i])) return `${path}[${i}] was ${fmt(s.v[i])}, now ${fmt(x[i])}`
      return undefined
    }
    case 'array': {
      if (!Array.isArray(x)) return `${where(path)} was an array, now ${fmt(x)}`
      if (x.length !== s.v.length) return `${where(path)} had length ${s.v.length}, now ${x.length}`
      for (let i = 0; i < s.v.length; i++) {
        const d = diff(s.v[i], x[i], `${path}[${i}]`)
        if (d) return d
      }
      return undefined
    }
    case 'object': {
      if (typeof x !== 'object' || x === null) return `${where(path)} was an object, now ${fmt(x)}`
      const keys = Object.keys(x)
      if (keys.length !== s.v.length) {
        const before = new Set(s.v.map(([k]) => k))
        const added = keys.filter((k) => !before.has(k))
        return added.length > 0 ? `${path === '' ? '' : path + '.'}${added[0]} was added` : `a key of ${where(path)} was deleted`
      }
      for (const [k, sv] of s.v) {
        if (!(k in x)) return `${path === '' ? '' : path + '.'}${k} was deleted`
        const d = diff(sv, (x as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`)
        if (d) return d
      }
      return undefined
    }
    case 'map': {
      if (!(x instanceof Map)) return `${where(path)} was a Map, now ${fmt(x)}`
      if (x.size !== s.v.length) return `${where(path)} had ${s.v.length} entries, now ${x.size}`
      for (const [k, sv] of s.v) {
        if (!x.has(k)) return `${path}.get(${fmt(k)}) was deleted`
        const d = diff(sv, x.get(k), `${path}.get(${fmt(k)})`)
        if (d) return d
      }
      return undefined
    }
    case 'set': {
      if (!(x instanceof Set)) return `${where(path)} was a Set, now ${fmt(x)}`
      if (x.size !== s.v.length || s.v.some((e) => !x.has(e))) return `${where(path)} changed its members`
      return undefined
    }
  }
}

/** The first difference between a snapshot and its value now, as a sentence; undefined if none. */
export const changedSince = (s: Snapshot, prefix: string): string | undefined => {
  const d = diff(s.snap, s.root, '')
  return d === undefined ? undefined : `${prefix}${d.startsWith('(') ? ' ' + d : '.' + d}`
}

const fmt = (x: unknown): string => {
  if (typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean' || x === undefined || x === null) return String(x)
  if (typeof x === 'string') return JSON.stringify(x)
  if (Array.isArray(x)) return 'an array'
  if (isTyped(x)) return `a ${x.constructor.name}`
  return typeof x
}

/**
 * Where, inside `x`, one of `targets` is held (by identity): a path such as "history[0]", or
 * undefined. A typed array whose buffer is among the targets counts too (a view of a target's
 * memory: put its `.buffer` in the set). Used to find a state that keeps the world's live
 * observation columns, or the engine's scratch columns, past a step.
 */
export const findHeld = (x: unknown, targets: ReadonlySet<unknown>, path = 'state', seen: Set<unknown> = new Set()): string | undefined => {
  if (x === null || typeof x !== 'object') return undefined
  if (targets.has(x)) return path
  if (isTyped(x)) return targets.has((x as unknown as ArrayBufferView).buffer) ? path : undefined
  if (seen.has(x)) return undefined
  seen.add(x)
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const p = findHeld(x[i], targets, `${path}[${i}]`, seen)
      if (p) return p
    }
    return undefined
  }
  if (x instanceof Map) {
    for (const [k, v] of x) {
      const p = findHeld(v, targets, `${path}.get(${fmt(k)})`, seen)
      if (p) return p
    }
    return undefined
  }
  const proto = Object.getPrototypeOf(x)
  if (proto !== Object.prototype && proto !== null) return undefined
  for (const k of Object.keys(x)) {
    const p = findHeld((x as Record<string, unknown>)[k], targets, `${path}.${k}`, seen)
    if (p) return p
  }
  return undefined
}

/** A plain, comparable copy of a decision (typed arrays as arrays), for determinism checks. */
export const plain = (x: unknown): unknown => {
  if (x === null || typeof x !== 'object') return typeof x === 'number' && Number.isNaN(x) ? 'NaN' : x
  if (isTyped(x)) return Array.from(x, (e) => (typeof e === 'number' && Number.isNaN(e) ? 'NaN' : e))
  if (Array.isArray(x)) return x.map(plain)
  return Object.fromEntries(Object.keys(x).map((k) => [k, plain((x as Record<string, unknown>)[k])]))
}

/** The first difference between two plain values, as a path; undefined if equal. */
export const firstDifference = (a: unknown, b: unknown, path = ''): string | undefined => {
  if (a === b) return undefined
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${where(path)}: ${fmt(a)} then ${fmt(b)}`
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${where(path)}: length ${a.length} then ${b.length}`
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`)
      if (d) return d
    }
    return undefined
  }
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  for (const k of new Set([...ka, ...kb])) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`)
    if (d) return d
  }
  return undefined
}
