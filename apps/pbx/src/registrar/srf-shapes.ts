/**
 * The slice of drachtio-srf the registrar uses, as structural types. drachtio-srf's own typings
 * lack the per-method handlers (`srf.register`, `srf.options`) and type `request` oddly, so the
 * srf instance from the AppContext is viewed through {@link SrfRouting} in one place
 * ({@link routingOf}); everything else sees these shapes, and unit tests can fake them.
 */
import type { SrfApp } from '../signalling/srf';

/** An incoming request as srf delivers it. */
export interface SrfIncomingRequest {
  method: string;
  uri: string;
  source_address: string;
  source_port: string | number;
  protocol: string;
  get(name: string): string | undefined;
}

/** The response object srf hands to a request handler. */
export interface SrfServerResponse {
  readonly finalResponseSent?: boolean;
  send(status: number, reason: string, opts: { headers: Record<string, string> }): void;
}

/** A request we sent (srf.request), emitting its responses. */
export interface SrfSentRequest {
  on(event: 'response', listener: (res: { status: number }) => void): unknown;
}

export type SrfHandler = (req: SrfIncomingRequest, res: SrfServerResponse) => void;
export type SrfMiddleware = (req: SrfIncomingRequest, res: SrfServerResponse, next: () => void) => void;

/** Routing and request functions of the srf app. */
export interface SrfRouting {
  use(fn: SrfMiddleware): void;
  register(fn: SrfHandler): void;
  options(fn: SrfHandler): void;
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string>; proxy?: string },
  ): Promise<SrfSentRequest>;
}

/** The srf app seen through {@link SrfRouting}. */
export function routingOf(srf: SrfApp): SrfRouting {
  return srf as unknown as SrfRouting;
}
