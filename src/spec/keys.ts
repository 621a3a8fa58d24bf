/**
 * Keys that must never come from users. JavaScript objects inherit from Object.prototype, so a look-up
 * or a merge keyed by "__proto__", "constructor" or "prototype" reaches the language's machinery
 * instead of a setting (`{"__proto__": {...}}` in JSON is an own key that a spread or a plain
 * assignment turns into a prototype). No setting of memreplay has these names, so they are refused
 * wherever JSON comes in, by name, rather than filtered silently.
 */

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

export const isForbiddenKey = (key: string): boolean => FORBIDDEN_KEYS.has(key)

/** Why a forbidden key is refused, for a message that says where. */
export const forbiddenKeyReason = (key: string): string =>
  `the key "${key}" is refused (it names JavaScript's object machinery, not a setting; memreplay has no setting called that)`

/** The sentence for a forbidden key found at `where` (a path, or the source alone). */
export const forbiddenKeyMessage = (where: string, key: string): string => `${where}: ${forbiddenKeyReason(key)}`

/**
 * Every forbidden key in a parsed JSON value, as sentences prefixed with `source` and the key's path
 * ("fleet.json: vms[0]: the key ..."). An explicit stack, not recursion: deeply nested JSON must not
 * overflow the call stack.
 */
export const forbiddenKeys = (json: unknown, source: string): ReadonlyArray<string> => {
  const found: string[] = []
  const stack: Array<readonly [unknown, string]> = [[json, '']]
  while (stack.length > 0) {
    const [value, path] = stack.pop() as readonly [unknown, string]
    if (typeof value !== 'object' || value === null) continue
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}[${i}]`])
      continue
    }
    const keys = Object.keys(value)
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]
      if (isForbiddenKey(key)) found.push(forbiddenKeyMessage(path === '' ? source : `${source}: ${path}`, key))
      else stack.push([(value as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`])
    }
  }
  return found
}
