/**
 * A TCP proxy for "the server is down" tests (PostgreSQL, Redis) that never touches the shared
 * server: passes connections through to a target, or (while `down`) resets every open
 * connection and refuses new ones at once, as a dead or unreachable server does. It can also
 * watch the PostgreSQL server's messages and hold back the answer to a COMMIT (the server has
 * committed; the client never hears it), which is exactly a crash between COPY and checkpoint.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections reset while down. */
  readonly refused: number;
  /** Connections passed through. */
  readonly accepted: number;
  /** Everything clients sent, as text (for checking what went over the wire). */
  sent(): string;
  /** Going down resets every open connection too. */
  setDown(down: boolean): void;
  /** Hold back the server's reply to the next COMMIT; resolves when a COMMIT has been withheld. */
  withholdNextCommit(): Promise<void>;
  stop(): Promise<void>;
}

/** Finds `CommandComplete "COMMIT"` ('C', length, "COMMIT\0") in a server→client chunk. */
function commitCompleteAt(chunk: Buffer): number {
  const marker = Buffer.from('COMMIT\0');
  for (let i = chunk.indexOf(marker); i >= 5; i = chunk.indexOf(marker, i + 1)) {
    if (chunk[i - 5] === 0x43 && chunk.readUInt32BE(i - 4) === 4 + marker.length) return i - 5;
  }
  return -1;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let down = false;
  let refused = 0;
  let accepted = 0;
  let withhold: (() => void) | undefined;
  const sockets = new Set<Socket>();
  const fromClients: Buffer[] = [];
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (down) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = connect(targetPort, targetHost);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.on('data', (d: Buffer) => {
      fromClients.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (withhold) {
        const at = commitCompleteAt(d);
        if (at >= 0) {
          // Everything before the COMMIT's answer goes through; the answer and the rest never do.
          client.write(d.subarray(0, at));
          const done = withhold;
          withhold = undefined;
          client.removeAllListeners('data');
          upstream.removeAllListeners('data');
          done();
          return;
        }
      }
      client.write(d);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get refused() { return refused; },
    get accepted() { return accepted; },
    sent: () => Buffer.concat(fromClients).toString('latin1'),
    setDown(d) {
      down = d;
      if (d) for (const s of sockets) s.resetAndDestroy();
    },
    withholdNextCommit: () => new Promise<void>((resolve) => { withhold = resolve; }),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
