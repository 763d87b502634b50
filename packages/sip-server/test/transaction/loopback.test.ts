import { makeResponse, randomBranch } from '../../src/message';
import type { SipRequest, SipResponse } from '../../src/message/types';
import { TransactionLayer, type ServerTransaction } from '../../src/transaction';
import type { TransportLayer, TransportProtocol } from '../../src/transport';
import { portOf, startTransport, waitUntil } from '../transport/helpers';
import { request } from './messages';

const timers = { t1: 10, t2: 40, t4: 50 };

describe.each<TransportProtocol>(['udp', 'tcp'])(
  'transactions over real %s loopback',
  (protocol) => {
    let uacTransport: TransportLayer;
    let uasTransport: TransportLayer;
    let uac: TransactionLayer;
    let uas: TransactionLayer;

    beforeEach(async () => {
      uacTransport = await startTransport([{ protocol }]);
      uasTransport = await startTransport([{ protocol }]);
      uac = new TransactionLayer({ transport: uacTransport, timers });
      uas = new TransactionLayer({ transport: uasTransport, timers });
    });

    afterEach(async () => {
      uac.stop();
      uas.stop();
      await uacTransport.stop();
      await uasTransport.stop();
    });

    const via = (): string =>
      `SIP/2.0/${protocol.toUpperCase()} 127.0.0.1:${portOf(uacTransport, protocol)};rport`;

    test('INVITE → 100, 200 → ACK (new branch) matched to the server transaction; all transactions end', async () => {
      const dest = { protocol, address: '127.0.0.1', port: portOf(uasTransport, protocol) };
      const serverSide: {
        txn?: ServerTransaction;
        ack?: ServerTransaction | undefined;
        acks: number;
      } = { acks: 0 };
      uas.on('request', (req, _info, txn) => {
        serverSide.txn = txn;
        void txn.respond(makeResponse(req, 200, 'OK', { toTag: 'uas1' }));
      });
      uas.on('ack', (_ack, _info, txn) => {
        serverSide.acks++;
        serverSide.ack = txn;
      });
      const responses: SipResponse[] = [];
      const invite = request({ method: 'INVITE', via: via(), branch: randomBranch(), cseq: 1 });
      uac.sendRequest(invite, dest, {
        onResponse: (res) => {
          responses.push(res);
          if (res.status === 200 && responses.filter((r) => r.status === 200).length === 1) {
            const ack: SipRequest = request({
              method: 'ACK',
              via: via(),
              branch: randomBranch(),
              cseq: 1,
              toTag: 'uas1',
            });
            void uac.sendAck(ack, dest);
          }
        },
        onTimeout: () => undefined,
        onTransportError: () => undefined,
      });
      await waitUntil(() => serverSide.acks === 1);
      expect(responses.map((r) => r.status)[0]).toBe(100);
      expect(responses.some((r) => r.status === 200)).toBe(true);
      expect(serverSide.ack).toBe(serverSide.txn);
      await waitUntil(
        () => uac.clientTransactionCount === 0 && uas.serverTransactionCount === 0,
        10_000,
      );
      expect(serverSide.acks).toBe(1);
    });

    test('OPTIONS answered 200; a second request to the same peer reuses the transport path', async () => {
      const dest = { protocol, address: '127.0.0.1', port: portOf(uasTransport, protocol) };
      uas.on(
        'request',
        (req, _info, txn) => void txn.respond(makeResponse(req, 200, 'OK', { toTag: 'o' })),
      );
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) {
        uac.sendRequest(
          request({ method: 'OPTIONS', via: via(), branch: randomBranch(), cseq: i + 1 }),
          dest,
          {
            onResponse: (res) => statuses.push(res.status),
            onTimeout: () => statuses.push(-1),
            onTransportError: () => statuses.push(-2),
          },
        );
      }
      await waitUntil(() => statuses.length === 2);
      expect(statuses).toEqual([200, 200]);
      if (protocol === 'tcp') expect(uacTransport.connectionCount).toBe(1);
      await waitUntil(
        () => uac.clientTransactionCount === 0 && uas.serverTransactionCount === 0,
        10_000,
      );
    });

    test('no answer: the client times out after 64·T1', async () => {
      const dest = { protocol, address: '127.0.0.1', port: portOf(uasTransport, protocol) };
      // The server's unanswered-request guard (64·T1 of its own timers) would end its transaction
      // as the client's timer F fires; on a loaded machine a late retransmission then opens a new
      // one. A server with a longer T1 isolates what is tested: absorption, then timer F.
      uas.stop();
      uas = new TransactionLayer({ transport: uasTransport, timers: { ...timers, t1: 500 } });
      let received = 0;
      uas.on('request', () => received++);
      let timedOut = false;
      uac.sendRequest(request({ method: 'MESSAGE', via: via(), branch: randomBranch() }), dest, {
        onResponse: () => undefined,
        onTimeout: () => (timedOut = true),
        onTransportError: () => undefined,
      });
      await waitUntil(() => timedOut, 10_000);
      // Retransmissions (UDP) reached the server but were absorbed by its transaction.
      expect(received).toBe(1);
    });
  },
);
