// kinesalite (npm) as a benchmark target, in its own process so it does not share the load
// generator's event loop. No --path: kinesalite then keeps everything in memory (memdown), which
// needs no native LevelDB build. Prints one line `{"listening":<port>}` once it accepts requests.
//   node bench/lib/kinesalite-server.mjs [--port 0] [--host 127.0.0.1]
import { parseArgs } from 'node:util';
import kinesalite from 'kinesalite';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });

// No artificial CREATING/UPDATING/DELETING delays, and a shard limit that never gets in the way.
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100_000 });
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), values.host, () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
