// Replacements for the amqplib internals that dominate a RabbitMQ publish (amqplib is pinned). Each produces exactly
// what the code it replaces did, faster; the unit tests compare them. They are swapped into the CommonJS module
// cache before amqplib's channels and frame encoders first load them, which is why this runs before amqplib is
// imported (see ../driver.ts).
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {corkEachRound} from './corked-mux.js'
import {fastTableEncoder, type TableEncoder} from './field-table.js'
import {type PublishArgs, publishArgsWithoutPrototypes} from './publish-args.js'
import {type SendMessage, sendMessageInOneBuffer} from './publish-frames.js'

const require = createRequire(import.meta.url)
const amqplibLib = join(dirname(require.resolve('amqplib')), 'lib')
const CODEC_MODULE = join(amqplibLib, 'codec.js')
const ARGS_MODULE = join(amqplibLib, 'api_args.js')
const MUX_MODULE = join(amqplibLib, 'mux.js')
const CONNECTION_MODULE = join(amqplibLib, 'connection.js')

interface Originals {
  encodeTable: TableEncoder
  publishArgs: PublishArgs
  muxReadIncoming: () => void
  sendMessage: SendMessage
}
let originals: Originals | undefined

/** What amqplib itself does, even once replaced (the tests compare against it). */
export function amqplibOriginal<K extends keyof Originals>(name: K): Originals[K] {
  installAmqplibPatches()
  return originals![name]
}

export function installAmqplibPatches(): void {
  if (originals) return
  const codec = require(CODEC_MODULE) as {encodeTable: TableEncoder}
  const args = require(ARGS_MODULE) as {publish: PublishArgs}
  const {Mux} = require(MUX_MODULE) as {Mux: Parameters<typeof corkEachRound>[0]}
  const {Connection} = require(CONNECTION_MODULE) as {Connection: {prototype: {sendMessage: SendMessage}}}
  originals = {
    encodeTable: codec.encodeTable,
    publishArgs: args.publish,
    muxReadIncoming: corkEachRound(Mux),
    sendMessage: Connection.prototype.sendMessage,
  }
  Connection.prototype.sendMessage = sendMessageInOneBuffer(originals.sendMessage, () => codec.encodeTable)
  // amqplib's frame encoders take codec.encodeTable once, when they load.
  codec.encodeTable = fastTableEncoder(originals.encodeTable)
  // amqplib freezes its argument builders: the module's export is replaced by a copy.
  require.cache[ARGS_MODULE]!.exports = Object.freeze({
    ...args,
    publish: publishArgsWithoutPrototypes(originals.publishArgs),
  })
}
