/**
 * A TCP forwarder for the 2-node swarm fixture: listens on LISTEN (host:port) and pipes each
 * connection to TARGET (host:port). Run in a network namespace with `nsenter`, it lets every
 * node reach the test registry under the same loopback address (Docker trusts plain-HTTP
 * registries on 127.0.0.0/8 without configuration).
 *
 *   deno run --allow-net scripts/ci/tcp_forward.ts 127.0.0.1:47500 10.213.47.1:47500
 * @module
 */

function address(text: string): { hostname: string; port: number } {
  const at = text.lastIndexOf(":");
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`tcp_forward: ${JSON.stringify(text)}: expected HOST:PORT`);
    Deno.exit(2);
  }
  return { hostname: text.slice(0, at), port };
}

if (Deno.args.length !== 2) {
  console.error("usage: tcp_forward.ts LISTEN_HOST:PORT TARGET_HOST:PORT");
  Deno.exit(2);
}
const listen = address(Deno.args[0]);
const target = address(Deno.args[1]);

async function pipe(client: Deno.TcpConn): Promise<void> {
  let upstream: Deno.TcpConn;
  try {
    upstream = await Deno.connect(target);
  } catch {
    client.close();
    return;
  }
  const close = (c: Deno.Conn) => {
    try {
      c.close();
    } catch { /* already closed */ }
  };
  await Promise.allSettled([
    client.readable.pipeTo(upstream.writable),
    upstream.readable.pipeTo(client.writable),
  ]);
  close(client);
  close(upstream);
}

const listener = Deno.listen(listen);
console.log(`tcp_forward: ${Deno.args[0]} -> ${Deno.args[1]}`);
for await (const conn of listener) pipe(conn);
