// Types of chart-worker.mjs (plain JavaScript so that its thread needs no TypeScript loader).
import type * as vega from 'vega'
import type { TopLevelSpec } from 'vega-lite'

export declare const drawSvg: (v: typeof vega, vl: typeof import('vega-lite'), spec: TopLevelSpec) => Promise<string>
