/**
 * `memreplay merge <shard dirs...> --out dir`: combine the outputs of `sweep --shard k/N` runs into
 * the output the whole sweep gives (same files, same bytes). Checks that the shards come from one
 * experiment and cover every scenario.
 */
import * as path from 'node:path'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import type { Command } from 'commander'
import { InputError } from './inputs.js'
import { expandExperiment, type Experiment } from '../plan/experiment.js'
import { mergeShards, sweepFiles, type ScenarioResult, type ShardOutput } from '../plan/sweep.js'
import { writeFolderAtomically } from '../report/write-folder.js'
import { guardOut } from './out-guard.js'

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch (err) {
    throw new InputError([`${file}: ${(err as Error).message}`])
  }
}

export const readShard = (dir: string): ShardOutput => {
  const resultsFile = path.join(dir, 'results.json')
  if (!existsSync(resultsFile)) throw new InputError([`${dir}: not a sweep output folder (no results.json)`])
  const res = readJson(resultsFile) as { experiment?: unknown; scenarioCount?: unknown }
  const scenariosDir = path.join(dir, 'scenarios')
  const ids = existsSync(scenariosDir) ? readdirSync(scenariosDir).sort() : []
  const results = ids.map((id) => {
    const { schemaVersion: _v, ...r } = readJson(path.join(scenariosDir, id, 'metrics.json')) as Record<string, unknown>
    return r as unknown as ScenarioResult
  })
  return { source: dir, experiment: res.experiment, scenarioCount: Number(res.scenarioCount), results }
}

const decodeStored = (experiment: unknown): Experiment => experiment as Experiment

export const runMerge = async (dirs: ReadonlyArray<string>, out: string | undefined): Promise<{ out: string; dir: string }> => {
  if (out === undefined) throw new InputError(['--out <dir> is required'])
  guardOut(out, dirs.map((d) => ({ what: 'shard folder', path: d })))
  const shards = dirs.map(readShard)
  const merged = mergeShards(shards, (x) => expandExperiment(decodeStored(x)).map((s) => s.id))
  if (!merged.ok) throw new InputError(merged.errors)
  // The stored experiment is the decoded one; check it still reads as an experiment.
  const x = decodeStored(merged.experiment)
  if (!Array.isArray(x.traces)) throw new InputError([`${dirs[0]}: results.json holds no experiment`])
  const dir = await writeFolderAtomically(out, sweepFiles(x, merged.scenarioCount, merged.results), `--out ${out}`)
  return { out: `Merged ${dirs.length} shard folders: ${merged.results.length} scenarios.\nResults: ${path.join(out, 'results.csv')}`, dir }
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
