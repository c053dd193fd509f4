// Editing the named contexts of the config file (mailroom context ...).
import {MailroomError} from '../../model/errors.js'
import {type ConfigFile, type ContextConfig, configPath, loadConfigFile, saveConfigFile} from './file.js'

export interface ContextSummary {
  name: string
  current: boolean
  readOnly: boolean
  brokers: string[]
  description?: string
}

async function load(): Promise<ConfigFile> {
  return (await loadConfigFile()) ?? {contexts: {}}
}

function existing(config: ConfigFile, name: string): ContextConfig {
  const context = config.contexts[name]
  if (!context) {
    throw new MailroomError('NOT_FOUND', `no context named "${name}" in ${configPath()}`, {
      suggestions: ['List them with: mailroom context list'],
    })
  }
  return context
}

export async function listContexts(): Promise<ContextSummary[]> {
  const config = await load()
  return Object.entries(config.contexts).map(([name, c]) => ({
    name,
    current: config.currentContext === name,
    readOnly: c.readOnly === true,
    brokers: (['rabbitmq', 'kafka', 'nats'] as const).filter((b) => c[b]),
    description: c.description,
  }))
}

export async function showContext(name?: string): Promise<{name: string; context: ContextConfig}> {
  const config = await load()
  const chosen = name ?? config.currentContext
  if (!chosen) {
    throw new MailroomError('NOT_FOUND', 'no current context: mailroom uses the local brokers', {
      suggestions: ['Create one with: mailroom context set <name> --rabbitmq-url ... --use'],
    })
  }
  return {name: chosen, context: existing(config, chosen)}
}

export async function useContext(name: string): Promise<void> {
  const config = await load()
  existing(config, name)
  await saveConfigFile({...config, currentContext: name})
}

/**
 * Creates or updates a context; patch fields replace those of the same name, per broker (and schema registry). `check` sees the merged
 * context before anything is written, and throws to keep the file as it was.
 */
export async function setContext(
  name: string,
  patch: ContextConfig,
  o: {use?: boolean; check?: (merged: ContextConfig) => void} = {},
): Promise<ContextConfig> {
  const config = await load()
  const before = config.contexts[name] ?? {}
  const merged: ContextConfig = {...before, ...patch}
  for (const broker of ['rabbitmq', 'kafka', 'nats', 'schemaRegistry'] as const) {
    if (patch[broker]) merged[broker] = {...before[broker], ...patch[broker]} as never
  }
  o.check?.(merged)
  config.contexts[name] = merged
  if (o.use || !config.currentContext) config.currentContext = name
  await saveConfigFile(config)
  return merged
}

export async function deleteContext(name: string): Promise<void> {
  const config = await load()
  existing(config, name)
  delete config.contexts[name]
  if (config.currentContext === name) delete config.currentContext
  await saveConfigFile(config)
}
