/**
 * `memreplay merge <shard dirs...> --out dir`: combine the outputs of `sweep --shard k/N` runs into
 * the output the whole sweep gives (same files, same bytes, the report page included). Checks that
 * the shards come from one experiment and cover every scenario.
 */
import * as path from 'node:path'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import type { Command } from 'commander'
import { InputError } from './inputs.js'
import { expandExperiment, type Experiment } from '../plan/experiment.js'
import { mergeShards, type ScenarioResult, type ShardOutput } from '../plan/sweep.js'
import { sweepReportFiles } from '../report/sweep-page.js'
import { writeFolderAtomically } from '../report/write-folder.js'
import { guardOut } from './out-guard.js'
import { depthProblem } from './json-depth.js'

const readJson = (file: string, what: string): unknown => {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new InputError([`${file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`])
  }
  const deep = depthProblem(file, text)
  if (deep !== undefined) throw new InputError([deep])
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new InputError([`${file}: the ${what} is not valid JSON (${(err as Error).message})`])
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

/** What a value is, for a sentence. */
const kind = (x: unknown): string => (x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x === 'object' ? 'an object' : `${typeof x} ${JSON.stringify(x)}`)

/**
 * A shard folder as written by sweep --shard, checked: results.json an object holding the
 * experiment and the scenario count, every scenarios/<id>/metrics.json a scenario result of that id.
 * Anything else is a sentence naming the file, what was expected and what was found.
 */
export const readShard = (dir: string): ShardOutput => {
  const resultsFile = path.join(dir, 'results.json')
  if (!existsSync(resultsFile)) throw new InputError([`${dir}: not a sweep output folder (no results.json)`])
  const res = readJson(resultsFile, 'sweep results')
  if (!isObject(res)) throw new InputError([`${resultsFile}: expected the sweep's results (an object with experiment and scenarioCount), found ${kind(res)}`])
  if (!isObject(res.experiment) || !Array.isArray(res.experiment.traces))
    throw new InputError([`${resultsFile}: expected the experiment the shard ran (an object with traces, hostSizes, policies ...), found ${kind(res.experiment)}`])
  if (!Number.isInteger(res.scenarioCount) || (res.scenarioCount as number) < 0)
    throw new InputError([`${resultsFile}: expected scenarioCount, a whole number, found ${kind(res.scenarioCount)}`])
  const shard = res.shard
  if (shard !== undefined && !(isObject(shard) && Number.isInteger(shard.k) && Number.isInteger(shard.n) && (shard.k as number) >= 1 && (shard.k as number) <= (shard.n as number)))
    throw new InputError([`${resultsFile}: expected shard { k, n } with 1 <= k <= n, found ${isObject(shard) ? JSON.stringify(shard) : kind(shard)}`])
  const scenariosDir = path.join(dir, 'scenarios')
  const ids = existsSync(scenariosDir) ? readdirSync(scenariosDir).sort() : []
  const results = ids.map((id) => {
    const file = path.join(scenariosDir, id, 'metrics.json')
    const r = readJson(file, 'scenario result')
    if (!isObject(r)) throw new InputError([`${file}: expected a scenario result (an object), found ${kind(r)}`])
    const sc = r.scenario
    if (!isObject(sc) || sc.id !== id || !Number.isInteger(sc.index))
      throw new InputError([`${file}: expected the result of scenario ${id} (scenario.id "${id}" and a whole scenario.index), found scenario ${isObject(sc) ? `id ${kind(sc.id)}, index ${kind(sc.index)}` : kind(sc)}`])
    if (!isObject(r.metrics)) throw new InputError([`${file}: expected metrics (an object), found ${kind(r.metrics)}`])
    const { schemaVersion: _v, ...rest } = r
    return rest as unknown as ScenarioResult
  })
  return { source: dir, experiment: res.experiment, scenarioCount: res.scenarioCount as number, ...(shard === undefined ? {} : { shard: { k: shard.k as number, n: shard.n as number } }), results }
}

/** The scenario ids of a stored experiment; a stored experiment that does not expand is named. */
const storedIds = (source: string) => (experiment: unknown): ReadonlyArray<string> => {
  try {
    return expandExperiment(experiment as Experiment).map((s) => s.id)
  } catch (err) {
    throw new InputError([`${path.join(source, 'results.json')}: the experiment it holds does not read as one (${(err as Error).message})`])
  }
}

export const runMerge = async (dirs: ReadonlyArray<string>, out: string | undefined): Promise<{ out: string; dir: string }> => {
  if (out === undefined) throw new InputError(['--out <dir> is required'])
  guardOut(out, dirs.map((d) => ({ what: 'shard folder', path: d })))
  const shards = dirs.map(readShard)
  const merged = mergeShards(shards, storedIds(dirs[0] ?? ''))
  if (!merged.ok) throw new InputError(merged.errors)
  const x = merged.experiment as Experiment
  const dir = await writeFolderAtomically(out, sweepReportFiles(x, merged.scenarioCount, merged.results), `--out ${out}`)
  return { out: `Merged ${dirs.length} shard folders: ${merged.results.length} scenarios.\nResults: ${path.join(out, 'results.csv')}\nReport: ${path.join(out, 'index.html')}`, dir }
}

export const registerMerge = (program: Command): void => {
  program
    .command('merge')
    .description('combine the output folders of sharded sweeps (sweep --shard k/N) into the whole sweep\'s output')
    .argument('<dirs...>', 'shard output folders')
    .option('--out <dir>', 'output folder')
    .action(async (dirs: string[], flags: { out?: string }) => {
      const { out } = await runMerge(dirs, flags.out)
      process.stdout.write(out + '\n')
    })
}
