// YAML for people (targets describe, lag -o yaml): durations and sizes in human form; JSON keeps the exact numbers.
// Apart from human-units.ts so that the formatters (used by every command's progress line) do not load yaml.
import {humanizeFields} from './human-units.js'

/** yaml is loaded here, when YAML is asked for, not by every command that could print it. */
export async function humanYaml(data: unknown): Promise<string> {
  const {default: yaml} = await import('yaml')
  return yaml.stringify(humanizeFields(data)).trimEnd()
}
