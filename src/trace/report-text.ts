/**
 * The import report for people: what was read, the grid it landed on, and every repair by kind,
 * in total and for each VM that needed any.
 */
import { type ImportReport, type RepairCounts, REPAIR_KINDS } from './import-report.js'

const iso = (unixSeconds: number): string =>
  Number.isFinite(unixSeconds) ? new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z') : '-'

const duration = (seconds: number): string =>
  seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`

const nonZero = (r: RepairCounts): string =>
  REPAIR_KINDS.filter((k) => r[k] > 0)
    .map((k) => `${k} ${r[k]}`)
    .join(', ')

export const formatImportReport = (report: ImportReport): string => {
  const lines = [
    `Trace ${report.source} (${report.format})`,
    `  VMs: ${report.vms}`,
    `  time: ${iso(report.firstTime)} to ${iso(report.lastTime)}`,
    `  grid: step ${report.step} s, ${report.ticks} ticks`,
    `  rows read: ${report.rows}`,
    ...(report.recorded === undefined
      ? []
      : [
          `  columns recorded (VMs): touched ${report.recorded.touched} of ${report.vms}, ` +
            `disk read ${report.recorded.diskRead} of ${report.vms}, disk write ${report.recorded.diskWrite} of ${report.vms}`,
        ]),
    `  gaps held up to ${duration(report.maxGapSeconds)} of missing samples; longer gaps count as off`,
    '  repairs in total:',
    ...REPAIR_KINDS.map((k) => `    ${k.padEnd(20)} ${report.repairs[k]}`),
  ]
  const repaired = report.perVm.filter((v) => REPAIR_KINDS.some((k) => v.repairs[k] > 0))
  if (repaired.length > 0) {
    lines.push(`  VMs with repairs (${repaired.length} of ${report.vms}):`)
    for (const v of repaired) lines.push(`    ${v.id}: ${nonZero(v.repairs)}`)
  } else lines.push('  no VM needed a repair')
  if (report.notes !== undefined && report.notes.length > 0) {
    lines.push('  skipped lines:')
    const shown = report.notes.slice(0, 20)
    for (const n of shown) lines.push(`    ${n}`)
    if (report.notes.length > shown.length) lines.push(`    … and ${report.notes.length - shown.length} more`)
  }
  return lines.join('\n')
}
