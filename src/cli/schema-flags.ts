// The schema registry flag, for the commands that decode (tail, peek, dlq inspect/export, dashboard) or encode
// (publish): spread it into a command's flags; connectionOverrides() passes it on.
import {Flags} from '@oclif/core'

export const schemaRegistryFlags = {
  'schema-registry': Flags.string({
    description:
      'Schema registry URL, e.g. http://127.0.0.1:8081 or https://host/apis/ccompat/v7 (env MAILROOM_SCHEMA_REGISTRY_URL)',
    helpGroup: 'CONNECTION',
    helpValue: '<url>',
  }),
}
