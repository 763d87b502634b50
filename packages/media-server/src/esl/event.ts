/** An event as the media server fires it, and the standard headers every event carries (§3.5). */
import type { HeaderList } from './frames';

export interface EslEvent {
  /** `Event-Name`, e.g. CHANNEL_EXECUTE_COMPLETE or CUSTOM. */
  name: string;
  /** For CUSTOM events. */
  subclass?: string;
  /** Every header including the standard ones, in wire order. */
  headers: HeaderList;
  body?: string;
}

export interface EventIdentity {
  coreUuid: string;
  hostname: string;
  ipv4: string;
}

let sequence = 0;

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function localDate(d: Date): string {
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** `Event-Name`, `Core-UUID`, host and date headers, `Event-Sequence` (switch_event.c order). */
export function standardHeaders(name: string, id: EventIdentity, subclass?: string): HeaderList {
  const now = new Date();
  sequence += 1;
  const h: HeaderList = [
    ['Event-Name', name],
    ['Core-UUID', id.coreUuid],
    ['FreeSWITCH-Hostname', id.hostname],
    ['FreeSWITCH-Switchname', id.hostname],
    ['FreeSWITCH-IPv4', id.ipv4],
    ['FreeSWITCH-IPv6', '::1'],
    ['Event-Date-Local', localDate(now)],
    ['Event-Date-GMT', now.toUTCString()],
    ['Event-Date-Timestamp', `${now.getTime()}000`],
    ['Event-Calling-File', 'media-server'],
    ['Event-Calling-Function', name.toLowerCase()],
    ['Event-Calling-Line-Number', '0'],
    ['Event-Sequence', String(sequence)],
  ];
  if (subclass !== undefined) h.push(['Event-Subclass', subclass]);
  return h;
}

export function eventHeader(event: EslEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  return event.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}
