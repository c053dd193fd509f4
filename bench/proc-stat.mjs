// CPU time of a process or thread from /proc (Linux), shared by the benchmarks that report CPU.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim())

/** The command name and CPU milliseconds (user + system) of /proc/<path>/stat, e.g. `1234` or `self/task/1234`. */
export function procStat(path) {
  const stat = readFileSync(`/proc/${path}/stat`, 'utf8')
  const close = stat.lastIndexOf(')')
  const fields = stat.slice(close + 2).split(' ')
  // utime and stime: fields 14 and 15 of the whole line
  const ticks = Number(fields[11]) + Number(fields[12])
  return {name: stat.slice(stat.indexOf('(') + 1, close), cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND}
}
