/**
 * The constraints a planner sizes for (sla.ts Constraints), as pure transformations of what a plan
 * replays:
 *
 *   grownTrace(trace, g)      every VM's demand, touched and configured memory at every tick times g
 *                             (the fleet's settings are then resolved over the grown trace as over any
 *                             trace: sizes derived from it follow, sizes written in a fleet spec stay).
 *   headroomHost(host, h)     the host as the plan replays it: h of its memory for VMs kept free, as if
 *                             the hypervisor reserved that much more.
 *   withSpares(n, k)          the hosts to buy: the n found plus k spares for HA.
 */
import type { HostSettings } from '../spec/settings.js'
import type { Trace } from '../trace/trace.js'

const times = (a: Float32Array, g: number): Float32Array => a.map((x) => x * g)

export const grownTrace = (trace: Trace, g: number): Trace =>
  g === 1
    ? trace
    : {
        ...trace,
        vms: trace.vms.map((v) => ({
          ...v,
          demand: times(v.demand, g),
          configured: times(v.configured, g),
          touched: v.touched === undefined ? undefined : times(v.touched, g),
        })),
      }

export const headroomHost = (host: HostSettings, headroom: number): HostSettings =>
  headroom === 0 ? host : { ...host, reserveMiB: host.reserveMiB + headroom * (host.physicalMiB - host.reserveMiB) }

export const withSpares = (hosts: number, spares: number): number => hosts + spares
