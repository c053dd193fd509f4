// CPU time of a process or thread from /proc (Linux), shared by the benchmarks that report CPU.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim())

/** The command name and the fields after it of /proc/<path>/stat (fields[0] is the line's third field, the state). */
function readStat(path) {
  const stat = readFileSync(`/proc/${path}/stat`, 'utf8')
  const close = stat.lastIndexOf(')')
  return {name: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ')}
}

const ticksToMs = (...ticks) => (ticks.reduce((a, b) => a + Number(b), 0) * 1000) / CLOCK_TICKS_PER_SECOND

/** The command name and CPU milliseconds (user + system) of /proc/<path>/stat, e.g. `1234` or `self/task/1234`. */
export function procStat(path) {
  const {name, fields} = readStat(path)
  // utime and stime: fields 14 and 15 of the whole line
  return {name, cpuMs: ticksToMs(fields[11], fields[12])}
}

/**
 * CPU milliseconds of this process's children that have exited and been waited for (cutime and cstime, fields 16
 * and 17): a child's whole CPU, up to its exit, once Node has reaped it.
 */
export function reapedChildrenCpuMs() {
  const {fields} = readStat('self')
  return ticksToMs(fields[13], fields[14])
}
