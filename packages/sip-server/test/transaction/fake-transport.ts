import { EventEmitter } from 'node:events';
import { parseMessage } from '../../src/message';
import type { SipMessage, SipRequest, SipResponse } from '../../src/message/types';
import type { TransactionLayerTransport } from '../../src/transaction';
import type { Destination, ReceiveInfo, SendResult } from '../../src/transport';

export interface Sent {
  at: number;
  dest: Destination;
  msg: SipMessage;
  /** The bytes as sent. */
  data: Buffer;
}

/** In-memory transport: records what is sent (parsed back), delivers what the test injects. */
export class FakeTransport extends EventEmitter implements TransactionLayerTransport {
  readonly sent: Sent[] = [];
  /** Set to make the next sends fail. */
  failWith: Error | undefined;

  send(dest: Destination, data: Buffer): Promise<SendResult> {
    const parsed = parseMessage(data);
    if (!parsed.ok) throw new Error(`layer sent an unparsable message: ${parsed.error.reason}`);
    this.sent.push({ at: Date.now(), dest, msg: parsed.message, data: Buffer.from(data) });
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve({
      ...(dest.protocol === 'udp' ? {} : { connectionId: dest.connectionId ?? 'conn-new' }),
      local: { address: '127.0.0.1', port: 5060 },
    });
  }

  deliver(msg: SipMessage, info: ReceiveInfo): void {
    this.emit('message', msg, info);
  }

  requests(method?: string): Array<Sent & { msg: SipRequest }> {
    return this.sent.filter(
      (s): s is Sent & { msg: SipRequest } =>
        s.msg.kind === 'request' && (!method || s.msg.method === method),
    );
  }

  responses(status?: number): Array<Sent & { msg: SipResponse }> {
    return this.sent.filter(
      (s): s is Sent & { msg: SipResponse } =>
        s.msg.kind === 'response' && (!status || s.msg.status === status),
    );
  }
}

export const udpInfo: ReceiveInfo = {
  source: { protocol: 'udp', address: '127.0.0.2', port: 5070 },
  local: { address: '127.0.0.1', port: 5060 },
  bytes: 300,
};

export const tcpInfo: ReceiveInfo = {
  source: { protocol: 'tcp', address: '127.0.0.2', port: 40123 },
  local: { address: '127.0.0.1', port: 5060 },
  connectionId: 'conn-1',
  bytes: 300,
};
