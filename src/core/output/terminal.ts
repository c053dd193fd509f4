// Whether a stream is a human's terminal, and whether colour is allowed (NO_COLOR, FORCE_COLOR, TERM=dumb).
export function isInteractive(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true
}

export function colorEnabled(
  stream: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  return isInteractive(stream) && env.TERM !== 'dumb'
}
