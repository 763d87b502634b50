/**
 * The logging surface the media server needs: the SIP server's (a pino logger satisfies it), so
 * the SIP user agent and the media server take one logger.
 */
export type { Logger } from '@pbx/sip-server';
export { silentLogger } from '@pbx/sip-server';
