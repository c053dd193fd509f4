// kafkajs runtime values. kafkajs is CommonJS and Node's ESM loader cannot see all of its exports by name
// (ConfigResourceTypes, for one), so values come from the default export; types are imported from 'kafkajs'.
// The patches are imported first: they must be in place before kafkajs loads the modules they replace.
import './patches/install.js'
import kafkajs from 'kafkajs'

export const {Kafka, AssignerProtocol, ConfigResourceTypes, logLevel} = kafkajs
