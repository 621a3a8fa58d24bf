/** A random scenario as text a person can read (and rebuild by hand with build.ts). */
import type { Scenario } from './arbitraries.js'

const r = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1))

export const describeScenario = (s: Scenario, seed: number): string => {
  const { host, trace, vms } = s
  const lines = [
    `host: ${r(host.physicalMiB)} MiB physical, ${r(host.reserveMiB)} MiB reserve, ${r(host.vmOverheadMiB)} MiB overhead per VM`,
    `trace: ${trace.ticks} tick${trace.ticks === 1 ? '' : 's'} of ${trace.step} s; replay seed ${seed}`,
    `VMs (settings; then demand in MiB per tick, "-" = powered off):`,
  ]
  vms.forEach((v, i) => {
    const tr = trace.vms[i]
    const demand = Array.from({ length: trace.ticks }, (_, t) => (tr.on[t] ? r(tr.demand[t]) : '-')).join(' ')
    const configured = tr.endTick > tr.firstTick ? r(tr.configured[tr.firstTick]) : '-'
    lines.push(
      `  ${v.id}: configured ${configured}, ${v.os}, image ${v.image}, minimum ${r(v.minimumMiB)}, startup ${r(v.startupMiB)}, maximum ${r(v.maximumMiB)}, ` +
        `reservation ${r(v.reservationMiB)}, limit ${r(v.limitMiB)}, weight ${v.weight}, buffer ${v.bufferPercent}%`,
      `      demand: ${demand}`,
    )
  })
  return lines.join('\n')
}
