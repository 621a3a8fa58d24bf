/** fast-check arbitraries for property tests: they live in src/engine/conformance (check-policy uses them). */
export { scenarioArb, type Scenario } from '../../src/engine/conformance/arbitraries.js'
