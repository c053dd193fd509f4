// mkdir -p that always ends. Node's recursive mkdir never returns for a directory the kernel refuses with ENOENT
// although its parent exists (anything under /proc, measured on Node 20): it retries the parent, finds it, and
// tries the child again, forever at full CPU. This creates each missing directory once, top down, and lets the
// first refusal through.
import {mkdir, stat} from 'node:fs/promises'
import {dirname} from 'node:path'

export async function makeDirectory(dir: string, mode = 0o700): Promise<void> {
  const missing: string[] = []
  for (let at = dir; ; at = dirname(at)) {
    try {
      await stat(at)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw error
      missing.unshift(at)
    }
  }
  for (const at of missing) {
    await mkdir(at, {mode}).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
    })
  }
}
