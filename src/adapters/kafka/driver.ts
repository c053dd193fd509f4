// kafkajs runtime values. kafkajs is CommonJS and Node's ESM loader cannot see all of its exports by name
// (ConfigResourceTypes, for one), so values come from the default export; types are imported from 'kafkajs'.
import kafkajs from 'kafkajs'
import {installRecordEncoder} from './record-encoder.js'

installRecordEncoder()

export const {Kafka, Partitioners, AssignerProtocol, ConfigResourceTypes, logLevel} = kafkajs
