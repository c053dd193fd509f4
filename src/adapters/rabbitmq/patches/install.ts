// Imported for its effect, before amqplib (see index.ts).
import {installAmqplibPatches} from './index.js'

installAmqplibPatches()
