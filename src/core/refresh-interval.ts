// How often a watching view (lag --watch, the dashboard) asks the brokers again. Below a quarter of a second it
// would only load the brokers (0s would poll in a tight loop) without showing anything a person can read.
import {MailroomError} from '../model/errors.js'
import {parseDuration} from './services/tail.js'

export const MIN_REFRESH_INTERVAL_MS = 250

export function parseRefreshInterval(text: string, flag: string): number {
  const ms = parseDuration(text, flag)!
  if (ms < MIN_REFRESH_INTERVAL_MS) {
    throw new MailroomError('USAGE', `${flag} ${text} is too short: the least is ${MIN_REFRESH_INTERVAL_MS}ms`, {
      suggestions: [`e.g. ${flag} 1s`],
    })
  }
  return ms
}
