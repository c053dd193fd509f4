// YAML for people (targets describe, lag -o yaml): durations and sizes in human form; JSON keeps the exact numbers.
// Apart from human-units.ts so that the formatters (used by every command's progress line) do not load yaml.
import {stringify} from 'yaml'

import {humanizeFields} from './human-units.js'

export function humanYaml(data: unknown): string {
  return stringify(humanizeFields(data)).trimEnd()
}
