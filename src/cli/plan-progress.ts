/**
 * Progress of a plan, counted in cluster replays (not policies: one policy's search is many
 * replays, and an ESX-like policy's take minutes). On a terminal, a bar on stderr whose total is an
 * estimate (2 log2(max hosts) + 1 per policy), corrected as each policy settles; elsewhere (CI,
 * pipes, logs) one line per replay on stderr, so a long plan is never silent. `quiet` silences both.
 */
import cliProgress from 'cli-progress'

export interface PlanProgress {
  /** A replay of `policy` at `what` (e.g. "8 hosts") starts. */
  readonly start: (policy: string, what: string) => void
  /** It ended: `verdict` is "meets" or the reason; `seconds` its wall time. */
  readonly done: (policy: string, what: string, verdict: string, seconds: number) => void
  /** A policy settled after `replays` replays, against `estimated`. */
  readonly settled: (policy: string, line: string, replays: number, estimated: number) => void
  readonly note: (line: string) => void
  readonly stop: () => void
}

/** Replays a policy's search is expected to take (gallop then bisect up to maxHosts). */
export const estimatedReplays = (maxPoints: number): number => 2 * Math.ceil(Math.log2(Math.max(2, maxPoints))) + 1

export const planProgress = (total: number, mode: 'tty' | 'lines' | 'quiet' = process.stderr.isTTY ? 'tty' : 'lines'): PlanProgress => {
  if (mode === 'quiet') return { start: () => {}, done: () => {}, settled: () => {}, note: () => {}, stop: () => {} }
  let count = 0
  let estimate = total
  if (mode === 'lines') {
    const say = (l: string) => process.stderr.write(`plan: ${l}\n`)
    return {
      start: () => {},
      done: (policy, what, verdict, seconds) => {
        count++
        say(`replay ${count} (of about ${Math.max(estimate, count)}): ${policy} on ${what}: ${verdict} (${seconds.toFixed(1)} s)`)
      },
      settled: (policy, line, replays, estimated) => {
        estimate += replays - estimated
        say(line)
      },
      note: say,
      stop: () => {},
    }
  }
  const bar = new cliProgress.SingleBar(
    { format: 'plan [{bar}] {value}/{total} replays | {step} | eta {eta_formatted}', stream: process.stderr, hideCursor: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  )
  bar.start(total, 0, { step: 'placing' })
  return {
    start: (policy, what) => bar.update(count, { step: `${policy} on ${what}` }),
    done: () => {
      count++
      bar.update(count)
    },
    settled: (_policy, _line, replays, estimated) => {
      estimate += replays - estimated
      bar.setTotal(Math.max(estimate, count))
    },
    note: (line) => process.stderr.write(`\nplan: ${line}\n`),
    stop: () => bar.stop(),
  }
}
