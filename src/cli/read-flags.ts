// Flags shared by the commands that read messages (tail, peek, dlq inspect/export).
import {Flags} from '@oclif/core'

import {BODY_FORMATS, type BodyFormat} from '../core/output/message.js'
import {STREAM_FORMATS, type StreamFormat} from '../core/output/message-writer.js'
import {decodeFlags} from './decode-flags.js'

export const readFlags = {
  filter: Flags.string({
    char: 'F',
    description: `Only messages matching this expression, e.g. key == "order-7" and json.amount > 100 and 'headers.x-tenant' == "acme"`,
  }),
  output: Flags.option({
    char: 'o',
    description: 'Output format',
    options: STREAM_FORMATS,
    default: 'pretty' as StreamFormat,
  })(),
  body: Flags.option({
    description: 'How bodies are shown with -o pretty',
    options: BODY_FORMATS,
    default: 'auto' as BodyFormat,
  })(),
  ...decodeFlags,
}
