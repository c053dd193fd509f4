// Imported for its effect, before kafkajs (see index.ts).
import {installKafkajsPatches} from './index.js'

installKafkajsPatches()
