import { createSocket, type Socket } from 'node:dgram';

/**
 * A tiny authoritative DNS responder over UDP (RFC 1035 message format): A records for the names
 * it is given, NXDOMAIN for anything else. It stands in for a Route 53 Resolver inbound endpoint
 * (or Azure DNS) on a loopback address, port 53, as the rendered forwarding expects.
 */
export interface StubResolver {
  address: string;
  /** Every question name it was asked, lower case, without the trailing dot. */
  questions: string[];
  close(): Promise<void>;
}

/** Binding port 53 was refused: it needs root or CAP_NET_BIND_SERVICE. */
export class PrivilegedPortError extends Error {
  override readonly name = 'PrivilegedPortError';
}

/**
 * Listens on `address`:53 when given (an inbound endpoint's address), else on a free
 * 127.0.0.x:53. Throws {@link PrivilegedPortError} when the port may not be bound.
 */
export async function startStubResolver(
  answers: Record<string, string>,
  options: { address?: string } = {},
): Promise<StubResolver> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const address = options.address ?? `127.0.0.${2 + Math.floor(Math.random() * 250)}`;
    const socket = createSocket('udp4');
    const questions: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(53, address, () => resolve());
      });
    } catch (error) {
      socket.close();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && !options.address) continue;
      if (code === 'EACCES') {
        throw new PrivilegedPortError(`binding ${address}:53 needs root or CAP_NET_BIND_SERVICE`, {
          cause: error,
        });
      }
      throw error;
    }
    socket.on('message', (query, peer) => {
      const reply = answer(query, answers, questions);
      if (reply) socket.send(reply, peer.port, peer.address);
    });
    return { address, questions, close: () => closeSocket(socket) };
  }
  throw new Error('no free 127.0.0.x:53 after 20 tries');
}
function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

function answer(
  query: Buffer,
  answers: Record<string, string>,
  questions: string[],
): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  let offset = 12;
  const labels: string[] = [];
  while (offset < query.length) {
    const length = query[offset] as number;
    if (length === 0 || length > 63) break;
    labels.push(query.toString('ascii', offset + 1, offset + 1 + length));
    offset += length + 1;
  }
  const questionEnd = offset + 5; // the root label, then QTYPE and QCLASS
  if (questionEnd > query.length) return undefined;
  const name = labels.join('.').toLowerCase();
  questions.push(name);
  const qtype = query.readUInt16BE(offset + 1);
  const address = answers[name];
  const found = address !== undefined && qtype === 1;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  // QR, the query's opcode and RD, AA; RCODE NXDOMAIN (3) when the name is unknown.
  header.writeUInt16BE(
    0x8400 | (query.readUInt16BE(2) & 0x7900) | (address === undefined ? 3 : 0),
    2,
  );
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(found ? 1 : 0, 6);
  const question = query.subarray(12, questionEnd);
  if (!found) return Buffer.concat([header, question]);
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  record.writeUInt16BE(1, 2); // A
  record.writeUInt16BE(1, 4); // IN
  record.writeUInt32BE(60, 6); // TTL
  record.writeUInt16BE(4, 10);
  address.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
  return Buffer.concat([header, question, record]);
}
