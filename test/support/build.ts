/** Small hand-built traces and settings for tests: the conformance kit's builders. */
export * from '../../src/engine/conformance/build.js'
