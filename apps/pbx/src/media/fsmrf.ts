/**
 * drachtio-fsmrf 4.1.2 as this folder uses it. The package ships plain JavaScript without types;
 * the subset the media port calls is typed here, once, and nothing outside media/ sees it.
 */
// drachtio-fsmrf has no type declarations; the shapes below are what lib/*.js implement.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MrfClass = require('drachtio-fsmrf') as new (srf: object) => FsMrf;

/** An ESL event as modesl hands it over. */
export interface EslEvent {
  getHeader(name: string): string | undefined;
  getBody(): string;
}

export interface FsEndpoint {
  readonly uuid: string;
  readonly local: { sdp: string };
  readonly connected: boolean;
  readonly conf: { memberId?: number; name?: string };
  modify(sdp: string): Promise<string>;
  play(file: string): Promise<unknown>;
  execute(app: string, arg?: string): Promise<EslEvent>;
  api(command: string, args?: string): Promise<EslEvent>;
  join(conference: string, opts?: object): Promise<{ memberId: number; confUuid: string }>;
  unjoin(): Promise<unknown>;
  destroy(): Promise<void>;
  once(event: 'destroy', listener: (info?: { reason?: string }) => void): void;
  on(event: 'dtmf', listener: (evt: { dtmf?: string }) => void): void;
  record(
    file: string,
    opts: { timeLimitSecs?: number },
  ): Promise<{ terminatorUsed?: string; recordMilliseconds?: string }>;
}

export interface FsConference {
  readonly name: string;
  readonly endpoint: FsEndpoint;
  getSize(): Promise<number>;
  play(file: string): Promise<unknown>;
  destroy(): Promise<void>;
  on(event: 'addMember' | 'delMember', listener: (evt: EslEvent) => void): void;
}

export interface FsMediaServer {
  readonly address: string;
  /** `srtp` (3PCC only): the offer is RTP/SAVP with an SDES key (`X-Secure-RTP: true`). */
  createEndpoint(opts?: { remoteSdp?: string; srtp?: boolean }): Promise<FsEndpoint>;
  createConference(name: string, opts?: { maxMembers?: number }): Promise<FsConference>;
  disconnect(): void;
  on(event: 'end', listener: () => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  removeAllListeners(): void;
  /** The inbound ESL connection (modesl). */
  readonly conn?: { on(event: 'error', listener: (err: unknown) => void): void };
}

export interface FsMrf {
  connect(opts: {
    address: string;
    port: number;
    secret: string;
    listenAddress?: string;
  }): Promise<FsMediaServer>;
}

/** `new Mrf(srf)`: fsmrf bound to the drachtio-srf app that carries its SIP legs. */
export function createMrf(srf: object): FsMrf {
  return new MrfClass(srf);
}
