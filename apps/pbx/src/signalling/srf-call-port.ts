/**
 * The call engine's SIP port ({@link CallSipPort}) on drachtio-srf: new INVITEs, UAS answers,
 * UAC INVITEs with CANCEL, and confirmed dialogs with re-INVITE, BYE, REFER and NOTIFY. The only
 * call-control file that touches srf objects; everything else sees engine/sip-port.ts.
 */
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import {
  SipStatusError,
  type IncomingDialogRequest,
  type IncomingInvite,
  type IncomingReinvite,
  type NameAddrView,
  type OutgoingInvite,
  type OutgoingInviteEvents,
  type OutgoingInviteOptions,
  type ReplacesHeader,
  type ResponseOptions,
  type CallSipPort,
  type SipDialog,
} from '../engine/sip-port';
import { parseSipUri } from '../sip/header-values';
import { parseReplaces } from '../sip/replaces';
import { reasonPhrase } from '../sip/status';
import type { SrfApp, SrfRequest, SrfResponse } from './srf';
import { reinviteGate, type ReinviteGate } from './srf-reinvite-gate';
import { digestAuth } from './srf-trunk-port';

type SrfDialog = Srf.Dialog;

interface ParsedAor {
  name?: string;
  uri: string;
  params?: Record<string, unknown>;
}

function nameAddr(msg: Srf.SipMessage, header: string): NameAddrView {
  const raw = msg.getParsedHeader(header as 'from') as ParsedAor | undefined;
  if (!raw) return { uri: '' };
  const uri = parseSipUri(raw.uri);
  const tag = raw.params?.['tag'];
  const display = raw.name?.replace(/^"|"$/g, '').trim();
  return {
    uri: raw.uri,
    ...(display ? { displayName: display } : {}),
    ...(uri?.user ? { user: uri.user } : {}),
    ...(uri?.host ? { host: uri.host } : {}),
    ...(typeof tag === 'string' ? { tag } : {}),
  };
}

/** The header's value; undefined when absent (srf's `get` then finds no name to read). */
function header(msg: Srf.SipMessage, name: string): string | undefined {
  return msg.get(name) as string | undefined;
}

/** The CSeq number of a request (NaN when the header is missing or malformed). */
function cseqOf(req: SrfRequest): number {
  return Number.parseInt(header(req, 'CSeq') ?? '', 10);
}

function responseOpts(
  options: ResponseOptions | undefined,
  body?: string,
): Record<string, unknown> {
  const headers: Record<string, string> = { ...(options?.headers ?? {}) };
  if (body) headers['Content-Type'] = 'application/sdp';
  return { headers, ...(body ? { body } : {}) };
}

/** `res.send(status, reason, opts[, callback])`, the reason phrase from our table. */
function send(
  res: SrfResponse,
  status: number,
  options?: ResponseOptions,
  body?: string,
  callback?: (err: unknown, msg: Srf.SipMessage) => void,
): void {
  const reason = options?.reason ?? reasonPhrase(status);
  const opts = responseOpts(options, body);
  if (callback) res.send(status, reason, opts, callback);
  else res.send(status, reason, opts);
}

function errorStatus(err: unknown): SipStatusError {
  const status = (err as { status?: unknown })?.status;
  if (typeof status === 'number')
    return new SipStatusError(status, (err as { reason?: string }).reason);
  return new SipStatusError(500, (err as Error)?.message ?? 'local failure', { cause: err });
}

/**
 * drachtio-srf (5.0.x) lets one re-INVITE per dialog out at a time and frees the place after a
 * 200 or a send error, but not after a non-2xx final response: the dialog's next modify() then
 * waits for ever (after a 491, the retry would never go out). Frees it the way srf does.
 */
function releaseReinviteSlot(d: SrfDialog): void {
  const q = (
    d as unknown as { _reinvitesInProgress?: { count: number; admitOne: Array<() => void> } }
  )._reinvitesInProgress;
  if (!q || q.count <= 0) return;
  q.count--;
  const next = q.admitOne.shift();
  if (next) setImmediate(next);
}

class SrfSipDialog implements SipDialog {
  private byeListeners: Array<() => void> = [];
  private ended = false;
  private readonly reinvites: ReinviteGate;

  /** Build it where srf hands the dialog over (its callback), before any `await`. */
  constructor(
    private readonly d: SrfDialog,
    private readonly log: Logger,
  ) {
    this.reinvites = reinviteGate(d);
    // srf may emit 'destroy' before the code that awaited createUAS/createUAC runs (the 200's
    // echo and the peer's BYE can arrive in one read): such a dialog starts out ended.
    if ('connected' in d && d.connected === false) this.ended = true;
    d.on('destroy', () => {
      if (this.ended) return;
      this.ended = true;
      for (const l of this.byeListeners) l();
    });
  }

  get callId(): string {
    return this.d.sip.callId;
  }
  get localTag(): string {
    return this.d.sip.localTag;
  }
  get remoteTag(): string {
    return this.d.sip.remoteTag;
  }
  get remoteSdp(): string {
    return this.d.remote.sdp;
  }
  get connected(): boolean {
    return !this.ended;
  }

  onBye(listener: () => void): void {
    if (this.ended) {
      // The BYE came before anyone listened: tell the late listener at once.
      queueMicrotask(listener);
      return;
    }
    this.byeListeners.push(listener);
  }

  onReinvite(listener: (r: IncomingReinvite) => void): void {
    this.reinvites.listen((req, res) => {
      const sdp = req.body ?? '';
      listener({
        sdp,
        cseq: cseqOf(req),
        accept: (answer) => send(res, 200, undefined, answer),
        reject: (status) => send(res, status),
      });
    });
  }

  onAck(listener: (sdp: string | undefined, cseq: number) => void): void {
    this.d.on('ack', (req: SrfRequest) => listener(req.body ? req.body : undefined, cseqOf(req)));
  }

  onRequest(
    method: 'REFER' | 'NOTIFY' | 'INFO',
    listener: (r: IncomingDialogRequest) => void,
  ): void {
    const event = method.toLowerCase() as 'refer';
    this.d.on(event, (req: SrfRequest, res: SrfResponse) => {
      listener({
        method,
        body: req.body ?? '',
        header: (name) => header(req, name),
        respond: (status, options) => send(res, status, options),
      });
    });
  }

  async reinvite(sdp: string): Promise<string> {
    if (this.ended) throw new SipStatusError(481, 'dialog ended');
    try {
      return await this.d.modify(sdp);
    } catch (err) {
      // A final non-2xx answer (491 glare, 488, ...): srf has not freed the re-INVITE's place.
      if (typeof (err as { status?: unknown })?.status === 'number') releaseReinviteSlot(this.d);
      throw errorStatus(err);
    }
  }

  async request(
    method: 'NOTIFY' | 'INFO' | 'REFER',
    options: { headers?: Record<string, string>; body?: string },
  ): Promise<number> {
    if (this.ended) return 481;
    try {
      // drachtio-srf's typings want a whole request object here; it reads method, headers, body.
      const res = (await Reflect.apply(this.d.request, this.d, [
        { method, headers: options.headers ?? {}, body: options.body },
      ])) as SrfResponse;
      return res.status;
    } catch (err) {
      this.log.debug({ err, method }, 'in-dialog request failed');
      return errorStatus(err).status;
    }
  }

  async bye(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      // The callback form: drachtio-srf's typings do not show the promise it returns without one.
      await new Promise<void>((resolve, reject) => {
        this.d.destroy(undefined, (err: unknown) => (err ? reject(err as Error) : resolve()));
      });
    } catch (err) {
      this.log.debug({ err, callId: this.callId }, 'BYE failed');
    }
  }
}

/**
 * srf's createUAS in the callback form: the dialog's listeners must be in place before srf
 * dispatches the requests that came with the 200's confirmation (srf-reinvite-gate.ts). A
 * function of its own, so the callback srf keeps on the request for the call's life holds these
 * few values, not the incoming INVITE object and everything it refers to.
 */
function createUas(
  srf: SrfApp,
  req: SrfRequest,
  res: SrfResponse,
  localSdp: string,
  headers: Record<string, string>,
  log: Logger,
): Promise<SrfSipDialog> {
  return new Promise<SrfSipDialog>((resolve, reject) => {
    srf.createUAS(req, res, { localSdp, headers }, (err, d) => {
      if (err) reject(err as Error);
      else resolve(new SrfSipDialog(d, log));
    });
  });
}

class SrfIncomingInvite implements IncomingInvite {
  readonly callId: string;
  readonly fromTag: string;
  readonly from: NameAddrView;
  readonly to: NameAddrView;
  readonly requestUri: string;
  readonly requestUser: string;
  readonly sdp: string;
  readonly source: { address: string; port: number; protocol: string };
  readonly replaces?: ReplacesHeader;
  cancelled = false;
  localTag: string | undefined;
  private finished = false;
  private cancelListeners: Array<() => void> = [];

  constructor(
    private readonly srf: SrfApp,
    private readonly req: SrfRequest,
    private readonly res: SrfResponse,
    private readonly log: Logger,
  ) {
    this.callId = req.get('Call-ID');
    this.from = nameAddr(req, 'from');
    this.to = nameAddr(req, 'to');
    this.fromTag = this.from.tag ?? '';
    this.requestUri = req.uri;
    this.requestUser = parseSipUri(req.uri)?.user ?? '';
    this.sdp = req.body ?? '';
    this.source = {
      address: req.source_address,
      port: Number(req.source_port),
      protocol: req.protocol,
    };
    const replaces = parseReplaces(header(req, 'Replaces'));
    if (replaces) this.replaces = replaces;
    req.on('cancel', this.onCancelled);
  }

  private readonly onCancelled = (): void => {
    this.cancelled = true;
    this.finished = true;
    for (const l of this.cancelListeners) l();
  };

  /**
   * The INVITE has its final response: no CANCEL can come any more. srf's dialog keeps the
   * request for the call's life, so the request lets go of this object and its listeners (the
   * engine's closures over the call) instead of holding them until the call ends.
   */
  private settled(): void {
    // srf's Request is an EventEmitter; its typings show only `on`.
    (this.req as unknown as NodeJS.EventEmitter).removeListener('cancel', this.onCancelled);
    this.cancelListeners = [];
  }

  header(name: string): string | undefined {
    return header(this.req, name);
  }

  progress(status: 180 | 183, sdp?: string): Promise<string | undefined> {
    if (this.finished) return Promise.resolve(this.localTag);
    return new Promise((resolve) => {
      send(this.res, status, undefined, sdp, (err, msg) => {
        if (err || !msg) {
          resolve(this.localTag);
          return;
        }
        const tag = nameAddr(msg, 'to').tag;
        if (tag) this.localTag = tag;
        resolve(this.localTag);
      });
    });
  }

  reject(status: number, options?: ResponseOptions): void {
    if (this.finished) return;
    this.finished = true;
    try {
      send(this.res, status, options);
    } catch (err) {
      this.log.debug({ err, status }, 'final response not sent');
    }
    this.settled();
  }

  async answer(sdp: string, options?: ResponseOptions): Promise<SipDialog> {
    if (this.finished) throw new SipStatusError(487, 'request already finished');
    this.finished = true;
    try {
      const headers: Record<string, string> = {
        ...(options?.headers ?? {}),
        'Content-Type': 'application/sdp',
      };
      const dialog = await createUas(this.srf, this.req, this.res, sdp, headers, this.log);
      this.localTag = dialog.localTag;
      this.settled();
      return dialog;
    } catch (err) {
      throw errorStatus(err);
    }
  }

  onCancel(listener: () => void): void {
    this.cancelListeners.push(listener);
  }
}

/** Builds the srf implementation of {@link CallSipPort}. */
export function srfCallPort(srf: SrfApp, log: Logger): CallSipPort {
  return {
    onInvite(handler) {
      srf.invite((req: SrfRequest, res: SrfResponse) => {
        let invite: IncomingInvite;
        try {
          invite = new SrfIncomingInvite(srf, req, res, log);
        } catch (err) {
          log.warn({ err }, 'unreadable INVITE');
          res.send(400);
          return;
        }
        handler(invite);
      });
    },

    invite(options: OutgoingInviteOptions, events: OutgoingInviteEvents = {}): OutgoingInvite {
      // srf keeps the request's listeners (and so these callbacks) for the dialog's life: the
      // engine's events are let go at the final response, when no 1xx can follow.
      let told: OutgoingInviteEvents | undefined = events;
      let sent: SrfRequest | undefined;
      let cancelWanted = false;
      const cancelNow = (req: SrfRequest): void => {
        try {
          req.cancel(() => undefined);
        } catch (err) {
          log.debug({ err }, 'CANCEL not sent');
        }
      };
      const headers: Record<string, string> = {
        ...(options.headers ?? {}),
        From: options.from,
        To: options.to,
      };
      const opts: Srf.CreateUACOptions = {
        headers,
        localSdp: options.sdp,
        ...(options.nextHop ? { proxy: options.nextHop } : {}),
        // srf accepts a function here (lib/digest-client.js); its typings know only the object.
        ...(options.auth
          ? { auth: digestAuth(options.auth) as unknown as { username: string; password: string } }
          : {}),
      };
      const progress: Parameters<SrfApp['createUAC']>[2] = {
        // srf calls it as (err, req), whatever its typings say.
        cbRequest: (...args: unknown[]) => {
          const [err, sentReq] = args;
          if (err || !sentReq) return;
          const req = sentReq as SrfRequest;
          sent = req;
          told?.onSent?.({
            callId: req.get('Call-ID'),
            fromTag: nameAddr(req, 'from').tag ?? '',
          });
          if (cancelWanted) cancelNow(req);
        },
        cbProvisional: (res: unknown) => {
          const r = res as SrfResponse;
          // A 100 is hop by hop: no To tag, nothing the engine reads but its status.
          if (r.status <= 100) {
            told?.onProvisional?.(r.status, {});
            return;
          }
          const to = nameAddr(r, 'to');
          told?.onProvisional?.(r.status, {
            ...(to.tag ? { toTag: to.tag } : {}),
            ...(r.body ? { sdp: r.body } : {}),
          });
        },
      };
      // The callback form, as in `answer`: the dialog listens before srf dispatches what came
      // with the 200.
      const answered = new Promise<SipDialog>((resolve, reject) => {
        srf.createUAC(options.uri, opts, progress, (err, d) => {
          told = undefined;
          if (err) reject(errorStatus(err));
          else resolve(new SrfSipDialog(d, log));
        });
      });
      return {
        answered,
        cancel() {
          if (cancelWanted) return;
          cancelWanted = true;
          if (sent) cancelNow(sent);
        },
      };
    },
  };
}
