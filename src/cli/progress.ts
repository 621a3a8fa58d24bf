/**
 * A progress bar on a terminal (cli-progress), silent when stderr is not one (CI, pipes), so logs
 * stay clean and output stays byte-identical.
 */
import cliProgress from 'cli-progress'

export interface Progress {
  readonly tick: (n?: number) => void
  readonly stop: () => void
}

export const progressBar = (label: string, total: number, enabled = Boolean(process.stderr.isTTY)): Progress => {
  if (!enabled || total <= 0) return { tick: () => {}, stop: () => {} }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 200 },
    cliProgress.Presets.shades_classic,
  )
  bar.start(total, 0)
  let done = 0
  let shown = 0
  const every = Math.max(1, Math.floor(total / 400)) // redraw at most ~400 times
  return {
    tick: (n = 1) => {
      done += n
      if (done - shown >= every || done >= total) {
        shown = done
        bar.update(done)
      }
    },
    stop: () => bar.stop(),
  }
}
