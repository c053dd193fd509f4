// amqplib, with mailroom's patches in place before it loads the modules they replace. Import amqplib's runtime
// values from here; types come from 'amqplib'.
// amqplib is required here, after the patches, and not imported: a bundler hoists a static import above the code of
// the chunk it inlines this module into, and amqplib's frame encoders would then load (and keep) the unpatched
// functions. The build checks that no bundle chunk imports amqplib statically (scripts/bundle.mjs).
import {createRequire} from 'node:module'

import type * as Amqplib from 'amqplib'

import {installAmqplibPatches} from './patches/index.js'

installAmqplibPatches()

export const amqp = createRequire(import.meta.url)('amqplib') as typeof Amqplib
