import {Args, Flags} from '@oclif/core'

import {MailroomCommand} from '../../cli/base-command.js'
import {setContext} from '../../core/config/contexts.js'
import type {ContextConfig} from '../../core/config/file.js'
import {resolveContextConfig, urlCredentials} from '../../core/config/resolve.js'

export default class ContextSet extends MailroomCommand {
  static override summary = 'Create or update a named context'
  static override description =
    'Only the fields given change. Secrets are never stored: name an environment variable (--*-password-env) or a file (--*-password-file). TLS, SASL and NATS credentials files are set in the YAML file itself (see the README).'
  static override examples = [
    {
      description: 'A production context, read-only, RabbitMQ password from an env var',
      command:
        '<%= config.bin %> <%= command.id %> prod --rabbitmq-url amqps://ops@rabbit.prod:5671/%2F --rabbitmq-password-env RABBIT_PASSWORD --read-only',
    },
    {
      description: 'Local Kafka and NATS only, and switch to it',
      command:
        '<%= config.bin %> <%= command.id %> dev --kafka-brokers 127.0.0.1:9092 --nats-url nats://127.0.0.1:4222 --use',
    },
  ]
  static override args = {name: Args.string({description: 'Context name', required: true})}
  static override flags = {
    description: Flags.string({description: 'Free text shown by context list'}),
    'rabbitmq-url': Flags.string({
      description: 'AMQP URL, amqp(s)://user@host:port/vhost (no password: see --rabbitmq-password-env)',
    }),
    'rabbitmq-management-url': Flags.string({description: 'Management API URL, http(s)://host:15672'}),
    'rabbitmq-password-env': Flags.string({description: 'Env var holding the RabbitMQ password'}),
    'rabbitmq-password-file': Flags.string({description: 'File holding the RabbitMQ password'}),
    'kafka-brokers': Flags.string({description: 'host:port,host:port'}),
    'nats-url': Flags.string({description: 'nats://host:4222 or tls://host:4222 (no user, password or token)'}),
    'nats-user': Flags.string({description: 'NATS user name'}),
    'nats-password-env': Flags.string({description: 'Env var holding the NATS password'}),
    'nats-password-file': Flags.string({description: 'File holding the NATS password'}),
    'nats-creds-file': Flags.string({description: 'NATS .creds file (JWT + seed)'}),
    'schema-registry-url': Flags.string({
      description: 'Schema registry URL, http(s)://host:8081 or with a path such as /apis/ccompat/v7',
    }),
    'schema-registry-username': Flags.string({description: 'Schema registry user (HTTP basic auth)'}),
    'schema-registry-password-env': Flags.string({description: 'Env var holding the schema registry password'}),
    'schema-registry-password-file': Flags.string({description: 'File holding the schema registry password'}),
    'read-only': Flags.boolean({
      description: 'Refuse destructive commands (replay, purge, import) in this context',
      allowNo: true,
    }),
    use: Flags.boolean({description: 'Also make it the current context'}),
  }

  async run(): Promise<{name: string; context: ContextConfig}> {
    const {args, flags} = await this.parse(ContextSet)
    this.refuseCredentialsInUrls(flags)
    const patch: ContextConfig = compact({
      description: flags.description,
      readOnly: flags['read-only'],
      rabbitmq: compact({
        url: flags['rabbitmq-url'],
        managementUrl: flags['rabbitmq-management-url'],
        passwordEnv: flags['rabbitmq-password-env'],
        passwordFile: flags['rabbitmq-password-file'],
      }),
      kafka: compact({brokers: flags['kafka-brokers']?.split(',').map((b) => b.trim())}),
      nats: compact({
        url: flags['nats-url'],
        user: flags['nats-user'],
        passwordEnv: flags['nats-password-env'],
        passwordFile: flags['nats-password-file'],
        credsFile: flags['nats-creds-file'],
      }),
      schemaRegistry: compact({
        url: flags['schema-registry-url'],
        username: flags['schema-registry-username'],
        passwordEnv: flags['schema-registry-password-env'],
        passwordFile: flags['schema-registry-password-file'],
      }),
    })
    // URLs and files are checked now rather than at 3 a.m., and before anything is written.
    const context = await setContext(args.name, patch, {
      use: flags.use,
      check: (merged) => resolveContextConfig(args.name, merged),
    })
    this.info(`Saved context "${args.name}"`)
    return {name: args.name, context}
  }

  /**
   * A context never stores a secret: one inside a URL would be written to config.yaml (and shows in `ps`). A
   * management URL's credentials are refused when the merged context is checked (they would never be used).
   */
  private refuseCredentialsInUrls(flags: {
    'rabbitmq-url'?: string
    'nats-url'?: string
    'schema-registry-url'?: string
  }): void {
    if (urlCredentials(flags['schema-registry-url'])) {
      this.usage(
        '--schema-registry-url holds a user or password, which a context would write to config.yaml',
        'Remove it from the URL: --schema-registry-username with --schema-registry-password-env VAR or --schema-registry-password-file FILE',
      )
    }
    if (urlCredentials(flags['rabbitmq-url']) === 'password') {
      this.usage(
        '--rabbitmq-url holds a password, which a context would write to config.yaml',
        'Remove it from the URL and say where it is kept: --rabbitmq-password-env VAR or --rabbitmq-password-file FILE (passwordEnv / passwordFile)',
      )
    }
    if (urlCredentials(flags['nats-url'])) {
      this.usage(
        '--nats-url holds a password or token, which a context would write to config.yaml',
        'Remove it from the URL: --nats-user with --nats-password-env VAR or --nats-password-file FILE (passwordEnv / passwordFile), or tokenEnv / tokenFile in config.yaml',
      )
    }
  }
}

/** Drops undefined fields and empty nested objects, so a patch only names what was given. */
function compact<T extends object>(o: T): T {
  const entries = Object.entries(o).filter(
    ([, v]) => v !== undefined && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0),
  )
  return Object.fromEntries(entries) as T
}
