/** What channels, applications and API commands share inside one media server. */
import type { EventBus } from './esl/event-bus';
import type { EslEvent, EventIdentity } from './esl/event';
import type { Logger } from './logger';
import type { MediaEngine } from './media/types';
import type { Channel } from './channel/channel';
import type { ConferenceRegistry } from './conference/registry';
import type { SipUserAgent } from '@pbx/sip-server';

export interface MediaServerConfig {
  /** sofia profile name printed by `sofia status` (fsmrf's `profile` option). */
  profile: string;
  sipAddress: string;
  sipPort: number;
  soundsDir?: string;
  recordingsDir?: string;
  maxSessions: number;
  /** What an unknown application does: hang up like FreeSWITCH, or complete with -ERR. */
  unknownApplication: 'hangup' | 'error';
}

export interface ServerContext {
  readonly log: Logger;
  readonly engine: MediaEngine;
  readonly bus: EventBus;
  readonly identity: EventIdentity;
  readonly config: MediaServerConfig;
  readonly channels: Map<string, Channel>;
  readonly conferences: ConferenceRegistry;
  readonly ua: SipUserAgent;
  readonly startedAt: number;
  fire(event: EslEvent): void;
  /** Counts channels created (for HEARTBEAT Session-Since-Startup). */
  sessionsSinceStartup: number;
}
