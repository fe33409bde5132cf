/**
 * Issue 7 defect 11: client misbehaviour is not a server error. An aborted request and a bad WebSocket
 * frame are logged at info/warn, without a stack trace; nothing is logged at error level.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useE2eServer } from '../helpers/e2e.js';
import { openTls } from '../helpers/raw-http.js';

const lines: Array<{ level: number; msg: string; err?: { stack?: string }; [k: string]: unknown }> = [];
const e2e = useE2eServer('client-logs', { logLevel: 'info', profile: 'ci' }, { logStream: { write: (line: string) => void lines.push(JSON.parse(line)) } });

const waitFor = async (predicate: () => boolean) => {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
};
const errorsOrStacks = () => lines.filter((l) => l.level >= 50 || JSON.stringify(l).includes('    at '));

describe('client misbehaviour is logged at info/warn without a stack (defect 11)', () => {
  it('a request aborted half-way through its body', async () => {
    const socket = await openTls(e2e, 'MDPONE');
    const token = await e2e.token('MDPONE');
    socket.write(`POST /pqd/v1/bpqd HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nx-initiatingParticipantId: MDPONE\r\n` +
      `x-messageContextId: pqd~bpqd~l~mdpone~abort1\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(5000)}`);
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await waitFor(() => lines.some((l) => /abort/i.test(l.msg)));
    expect(lines.some((l) => /abort/i.test(l.msg) && l.level <= 40)).toBe(true);
    expect(errorsOrStacks()).toEqual([]);
  });

  it('a WebSocket frame that is not valid UTF-8', async () => {
    const ws = new WebSocket(`${e2e.server.url.replace('https', 'wss')}/events/v1`, {
      ...e2e.tls('LNSPNORTH'),
      headers: { authorization: `Bearer ${await e2e.token('LNSPNORTH', 'EVENT_NOTIFY')}`, 'x-initiatingParticipantId': 'LNSPNORTH' },
    });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    // A text frame (opcode 1, FIN) with invalid UTF-8, masked as a client must: written to the raw socket.
    const payload = Buffer.from([0xff, 0xfe, 0xfd]);
    const mask = Buffer.from([1, 2, 3, 4]);
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
    (ws as unknown as { _socket: Socket })._socket.write(frame);
    ws.on('error', () => undefined);
    expect(await closed).toBeGreaterThan(1000);
    await waitFor(() => lines.some((l) => /WebSocket/i.test(l.msg)));
    expect(lines.some((l) => /WebSocket/.test(l.msg) && l.level === 40)).toBe(true);
    expect(errorsOrStacks()).toEqual([]);
  });
});
