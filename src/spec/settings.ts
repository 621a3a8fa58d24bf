/**
 * The resolved settings of a host and of each VM: what the engine and the policies read.
 * Specs (host.ts, fleet.ts) are what users write; they resolve to these, with defaults derived
 * from the trace so that a user with only a trace gets sensible results.
 * All sizes MiB.
 */
import type { OsFamily } from '../trace/trace.js'

export interface HostSettings {
  /** Physical memory of the host. */
  readonly physicalMiB: number
  /** Memory the hypervisor keeps for itself (never available to VMs). */
  readonly reserveMiB: number
  /** Per running VM, memory the hypervisor spends on it (page tables, device state). */
  readonly vmOverheadMiB: number
}

/** Page-content model of a VM, for page sharing (DOMAIN.md section 6). Fractions in [0, 1]. */
export interface ContentModel {
  /** Of the VM's non-zero touched pages, the share duplicated inside the VM itself. */
  readonly intraVm: number
  /** Of the VM's non-zero touched pages, the share identical across VMs of the same image. */
  readonly image: number
}

export interface VmSettings {
  readonly id: string
  /** Image label: VMs of one image have identical pages (sharing across VMs when unsalted). */
  readonly image: string
  readonly os: OsFamily
  readonly content: ContentModel
  /** static: the size the VM holds from start to stop. Default: its peak configured memory. */
  readonly staticMiB: number
  /** Hyper-V Dynamic Memory (DOMAIN.md section 3). */
  readonly startupMiB: number
  readonly minimumMiB: number
  readonly maximumMiB: number
  /** Memory buffer, percent (5..2000, default 20). */
  readonly bufferPercent: number
  /** Memory weight, WMI scale 0..10000 (default 5000). */
  readonly weight: number
  /** ESX (DOMAIN.md section 4): guaranteed floor of host memory. */
  readonly reservationMiB: number
  /** ESX: ceiling of host memory (default: configured, that is unlimited). */
  readonly limitMiB: number
  /** ESX: shares (default Normal: 10 per MiB of configured memory). */
  readonly shares: number
}
