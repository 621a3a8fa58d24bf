/** The bundled synthetic sample that `npm start` runs on (see traces/sample/README.md). */
export const SAMPLE = {
  trace: 'traces/sample/sample.csv',
  host: 'traces/sample/host.json',
  fleet: 'traces/sample/fleet.json',
  out: 'reports/sample',
} as const
