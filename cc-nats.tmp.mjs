import {connect} from 'nats'
const nc = await connect({servers:'127.0.0.1:4222'}); const jsm = await nc.jetstreamManager()
const names=[]; for await (const s of jsm.streams.list()) if (s.config.name.startsWith('BENCH_LAG_')) names.push(s.config.name)
console.log(names)
if (process.argv[2]==='rm') for (const n of names) await jsm.streams.delete(n)
await nc.close()
