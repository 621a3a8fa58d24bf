/**
 * `sweep <experiment> --emit slurm|k8s` (pure): the job that runs a sweep's shards on a batch engine
 * and merges them, as text. Every task runs `sweep --shard auto` (plan/shard.ts reads its index from
 * the engine's environment) into its own folder under a shared shards folder; each folder appears
 * whole (written beside, then renamed). The merge step runs in the last task to finish: a task whose
 * folder is in place looks for all N; if they are there it takes a lock (mkdir is atomic, on NFS
 * too) and merges. The last writer always sees every folder, so a merge always happens once all
 * shards succeed, and never with a shard missing; a failed task leaves no merge, and re-running just
 * that index (sbatch --array=k-1 ...) completes the set and merges.
 *
 * Slurm: an sbatch script with --array=0-(N-1), the CLI run from the project folder through npm (or
 * $MEMREPLAY, e.g. an installed binary), paths absolute (the same on every node). Kubernetes: an
 * Indexed Job as JSON (kubectl accepts JSON; no YAML library needed, no indentation to get wrong),
 * completions = parallelism = N, the outputs on a PersistentVolumeClaim mounted at /shared.
 */

export interface EmitPlan {
  /** The experiment's file name without .json (job names). */
  readonly stem: string
  /** The experiment's path as the tasks see it. */
  readonly experiment: string
  readonly scenarioCount: number
  readonly shards: number
  readonly cpusPerTask: number
  /** The merged output folder as the tasks see it. */
  readonly out: string
  /** The folder holding shard-k-of-N folders, as the tasks see it. */
  readonly shardsDir: string
  /** Extra sweep arguments every task passes (e.g. --policy modules), already as the tasks see them. */
  readonly sweepArgs: ReadonlyArray<string>
}

export interface SlurmPlan extends EmitPlan {
  /** The checkout the tasks run the CLI from (npm run). */
  readonly projectDir: string
}

export interface K8sPlan extends EmitPlan {
  readonly image: string
  /** The PersistentVolumeClaim holding the outputs (ReadWriteMany: every pod writes to it). */
  readonly claim: string
}

/** The folder of shard k of n under the shards folder (what `--out <dir>/shard-{k}-of-{n}` gives). */
export const shardFolder = (shardsDir: string, k: number, n: number): string => `${shardsDir}/shard-${k}-of-${n}`

/** A word for the shell, quoted so nothing in it is interpreted. */
export const shellQuote = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/** A job name: letters, digits and dashes (Kubernetes: a DNS label of at most 63). */
export const jobName = (stem: string): string =>
  `memreplay-${stem.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'sweep'}`.slice(0, 52).replace(/-+$/, '')

/**
 * The body both engines run in a task, for POSIX sh: the shard, then the merge if this task's folder
 * completed the set. The shell functions memreplay_sweep and memreplay_merge (the caller defines
 * them) run the CLI.
 */
const taskBody = (p: EmitPlan, workers: string): ReadonlyArray<string> => [
  `SHARDS=${shellQuote(p.shardsDir)}`,
  `OUT=${shellQuote(p.out)}`,
  `N=${p.shards}`,
  `mkdir -p "$SHARDS"`,
  `memreplay_sweep ${shellQuote(p.experiment)} --shard auto --shard-count "$N" --workers ${workers} ${p.sweepArgs.map(shellQuote).map((a) => `${a} `).join('')}--out "$SHARDS/shard-{k}-of-{n}"`,
  '# The merge step, in the last task to finish: every shard folder in place (each appears whole), then a',
  '# lock (mkdir is atomic, NFS too) so that one task merges.',
  'k=1',
  'while [ "$k" -le "$N" ]; do',
  '  [ -f "$SHARDS/shard-$k-of-$N/results.json" ] || { echo "memreplay: shard $k of $N not done yet; its task merges"; exit 0; }',
  '  k=$((k + 1))',
  'done',
  'mkdir "$SHARDS/.merging" 2>/dev/null || { echo "memreplay: another task is merging"; exit 0; }',
  `trap 'rmdir "$SHARDS/.merging"' EXIT`,
  'set --',
  'k=1',
  'while [ "$k" -le "$N" ]; do set -- "$@" "$SHARDS/shard-$k-of-$N"; k=$((k + 1)); done',
  'memreplay_merge "$@" --out "$OUT"',
]

/** Refuse what a job file cannot carry safely (a line break in a path would end an #SBATCH line). */
const checkPaths = (p: EmitPlan): ReadonlyArray<string> =>
  [p.experiment, p.out, p.shardsDir, ...p.sweepArgs].filter((s) => /[\r\n]/.test(s)).map((s) => `--emit: a path holds a line break: ${JSON.stringify(s)}`)

/** The sbatch script. */
export const slurmScript = (p: SlurmPlan): { readonly ok: true; readonly text: string } | { readonly ok: false; readonly errors: ReadonlyArray<string> } => {
  const errors = [...checkPaths(p), ...[p.projectDir, p.shardsDir].filter((s) => /[\s"'\\]/.test(s)).map((s) => `--emit slurm: #SBATCH lines cannot carry the path ${JSON.stringify(s)} (spaces or quotes): choose another --out`)]
  if (errors.length > 0) return { ok: false, errors }
  const lines = [
    '#!/bin/bash',
    `# memreplay sweep of ${p.experiment}: ${p.scenarioCount} scenarios in ${p.shards} shards balanced by`,
    `# estimated cost, one array task each; the last task to finish merges them into ${p.out}.`,
    '# Written by `memreplay sweep --emit slurm`. Submit it: sbatch <this file> (--wait to block until merged).',
    '# Paths are absolute and must be the same on every node (a shared filesystem).',
    `#SBATCH --job-name=${jobName(p.stem)}`,
    `#SBATCH --array=0-${p.shards - 1}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${p.cpusPerTask}`,
    `#SBATCH --chdir=${p.projectDir}`,
    `#SBATCH --output=${p.shardsDir}/slurm-%A_%a.log`,
    'set -eu',
    `cd ${shellQuote(p.projectDir)}`,
    '# The CLI: the project\'s npm scripts, or $MEMREPLAY (e.g. MEMREPLAY=/opt/memreplay/bin/memreplay).',
    'memreplay_sweep() { if [ -n "${MEMREPLAY:-}" ]; then $MEMREPLAY sweep "$@"; else npm run --silent sweep -- "$@"; fi; }',
    'memreplay_merge() { if [ -n "${MEMREPLAY:-}" ]; then $MEMREPLAY merge "$@"; else npm run --silent merge -- "$@"; fi; }',
    ...taskBody(p, '"${SLURM_CPUS_PER_TASK:-1}"'),
  ]
  return { ok: true, text: lines.join('\n') + '\n' }
}

/** The Indexed Job, as a JSON object (kubectl apply -f job.json). */
export const k8sJob = (p: K8sPlan): { readonly ok: true; readonly job: unknown } | { readonly ok: false; readonly errors: ReadonlyArray<string> } => {
  const errors = checkPaths(p)
  if (errors.length > 0) return { ok: false, errors }
  const script = [
    'set -eu',
    'memreplay_sweep() { npm run --silent sweep -- "$@"; }',
    'memreplay_merge() { npm run --silent merge -- "$@"; }',
    ...taskBody(p, String(p.cpusPerTask)),
  ].join('\n')
  const name = jobName(p.stem)
  return {
    ok: true,
    job: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        labels: { app: 'memreplay' },
        annotations: { 'memreplay/emitted-by': 'memreplay sweep --emit k8s', 'memreplay/experiment': p.experiment, 'memreplay/scenarios': String(p.scenarioCount), 'memreplay/merged-output': p.out },
      },
      spec: {
        completionMode: 'Indexed',
        completions: p.shards,
        parallelism: p.shards,
        // A failed pod is retried (same index, same result: a sweep is deterministic).
        backoffLimit: 2 * p.shards,
        template: {
          metadata: { labels: { app: 'memreplay', 'memreplay/job': name } },
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'sweep',
                image: p.image,
                workingDir: '/app',
                // JOB_COMPLETION_INDEX is set by Kubernetes in an Indexed Job: --shard auto reads it.
                command: ['/bin/sh', '-c', script],
                env: [{ name: 'MEMREPLAY_SHARD_COUNT', value: String(p.shards) }],
                resources: { requests: { cpu: String(p.cpusPerTask) } },
                volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
              },
            ],
            volumes: [{ name: 'shared', persistentVolumeClaim: { claimName: p.claim } }],
          },
        },
      },
    },
  }
}
