/**
 * Type-checking a policy module before check-policy runs it: a mistake the compiler sees (a variable
 * used before its declaration, a misspelt field of the observation) is reported with its file, line
 * and column, rather than as a rule violation the conformance check finds later with neither.
 *
 * It uses the TypeScript compiler's API with the project's tsconfig.json (what `tsc --noEmit -p .`
 * does, on this module alone): only the module and the user's own files it imports are reported, not
 * memreplay's engine, which the project's own type check covers.
 */
import * as path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { PROJECT_ROOT } from '../runtime.js'

const repoRoot = PROJECT_ROOT

/** Files the user did not write: diagnostics in them are the project's business. */
const isOurs = (file: string, root: string): boolean => {
  const rel = path.relative(root, file).split(path.sep).join('/')
  return file.includes('/node_modules/') || rel.startsWith('src/') || rel.startsWith('policies/internal/')
}

/**
 * Diagnostics of a .ts policy module, each "file:line:column: error TSnnnn: message", file relative
 * to the working directory; Right([]) when it type-checks. Left when the compiler cannot be loaded
 * or the tsconfig read (a sentence saying so).
 */
export const typeCheckPolicy = async (file: string, root: string = repoRoot): Promise<E.Either<string, ReadonlyArray<string>>> => {
  let ts: typeof import('typescript')
  try {
    ts = (await import('typescript')).default
  } catch (err) {
    return E.left(`cannot type-check ${file}: the TypeScript compiler did not load (${err instanceof Error ? err.message : String(err)}; run npm install)`)
  }
  const configPath = path.join(root, 'tsconfig.json')
  const config = ts.readConfigFile(configPath, ts.sys.readFile)
  if (config.error !== undefined)
    return E.left(`cannot type-check ${file}: ${configPath}: ${ts.flattenDiagnosticMessageText(config.error.messageText, ' ')}`)
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
  const abs = path.resolve(file)
  const program = ts.createProgram([abs], { ...parsed.options, noEmit: true })
  const mine = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && (path.resolve(sf.fileName) === abs || !isOurs(path.resolve(sf.fileName), root)))
  const diagnostics = mine.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)])
  return E.right(
    diagnostics.map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, ' ')
      if (d.file === undefined || d.start === undefined) return `${path.relative(process.cwd(), abs)}: error TS${d.code}: ${text}`
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start)
      return `${path.relative(process.cwd(), d.file.fileName) || d.file.fileName}:${line + 1}:${character + 1}: error TS${d.code}: ${text}`
    }),
  )
}
