/**
 * oVirt MoM's default KSM rules (DOMAIN.md section 5) and KSM's scan rate. Pure arithmetic, worked by
 * hand in test/policies/kvm-mom.test.ts.
 *
 *   run KSM when host free < 20% of host memory, or when shareable + 20% of host memory reaches it;
 *   while it runs, pages to scan per cycle: +300 when free < 20%, else -50, kept within 64..1250;
 *   ksmd sleeps between cycles: 10 ms on a 16 GiB host, scaled inversely with host memory (MoM sets
 *   sleep_millisecs = baseline x 16 GiB / host memory).
 *
 * KSM merges only 4 KiB pages: transparent huge pages must be split before their contents can be
 * shared, so a policy that runs KSM breaks large pages (decision.sharing.breakLargePages).
 */

export interface KsmRules {
  /** Free share below which KSM runs and speeds up (MoM: 0.20). */
  readonly freeShare: number
  /** Pages added per interval under pressure (MoM: 300). */
  readonly pagesBoost: number
  /** Pages taken off per interval otherwise (MoM: 50). */
  readonly pagesDecay: number
  readonly pagesMin: number
  readonly pagesMax: number
  /** ksmd's sleep between cycles on a 16 GiB host, ms (MoM: 10). */
  readonly sleepBaselineMillis: number
}

export const MOM_KSM: KsmRules = { freeShare: 0.2, pagesBoost: 300, pagesDecay: 50, pagesMin: 64, pagesMax: 1250, sleepBaselineMillis: 10 }

/** The page KSM merges: 4 KiB. */
export const KSM_PAGE_MIB = 4 / 1024
const BASELINE_HOST_MIB = 16 * 1024

/** MoM's rule: run unless shareable + threshold < host memory and free > threshold. */
export const ksmShouldRun = (freeMiB: number, shareableMiB: number, hostMiB: number, r: KsmRules): boolean => {
  const threshold = hostMiB * r.freeShare
  return !(threshold + shareableMiB < hostMiB && freeMiB > threshold)
}

/** Pages to scan after one interval in which KSM runs. */
export const nextPagesToScan = (pages: number, freeMiB: number, hostMiB: number, r: KsmRules): number => {
  const next = pages + (freeMiB < hostMiB * r.freeShare ? r.pagesBoost : -r.pagesDecay)
  return Math.min(r.pagesMax, Math.max(r.pagesMin, next))
}

/** ksmd's sleep between cycles on a host of this size, ms. */
export const ksmSleepMillis = (hostMiB: number, r: KsmRules): number => (r.sleepBaselineMillis * BASELINE_HOST_MIB) / hostMiB

/** KSM's scan rate, MiB/s: pages per cycle x 4 KiB per sleep. */
export const ksmScanMiBPerSecond = (pages: number, sleepMillis: number): number => (pages * KSM_PAGE_MIB) / (sleepMillis / 1000)
