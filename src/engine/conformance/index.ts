/** The conformance kit: random scenarios, builders for worked examples, and the check itself. */
export { buildTrace, hostOf, settingsOf, type VmSpecLite } from './build.js'
export { scenarioArb, type Scenario } from './arbitraries.js'
export { describeScenario } from './describe.js'
export {
  checkConformance,
  formatReport,
  invariantFinding,
  purityFinding,
  determinismFinding,
  DEFAULT_CHECK_SEED,
  type CheckResult,
  type ConformanceOptions,
  type ConformanceReport,
  type Finding,
  type SampleInput,
} from './check.js'
export { scratchFinding, scratchRun, scratchDifference, keptScratch, hashAccount, type ScratchFinding, type ScratchDifference } from './scratch.js'
