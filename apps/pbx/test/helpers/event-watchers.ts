/**
 * Arrange and assert helpers for the event-package tests: sipp watchers (busy-lamp keys,
 * message-waiting), and the NOTIFYs they received parsed with a real XML parser.
 */
import { XMLParser } from 'fast-xml-parser';
import type { SippResult } from './sipp';
import { bodyOf, headerOf, received } from './calls-harness';

/** One NOTIFY a watcher received. */
export interface ReceivedNotify {
  readonly subscriptionState: string;
  readonly event: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** Every NOTIFY in a sipp trace, in arrival order (retransmissions dropped by CSeq). */
export function notifies(r: SippResult): ReceivedNotify[] {
  const seen = new Set<string>();
  const out: ReceivedNotify[] = [];
  for (const m of received(r)) {
    if (!/^NOTIFY /.test(m)) continue;
    const cseq = `${headerOf(m, 'Call-ID')} ${headerOf(m, 'CSeq')}`;
    if (seen.has(cseq)) continue;
    seen.add(cseq);
    out.push({
      subscriptionState: headerOf(m, 'Subscription-State') ?? '',
      event: headerOf(m, 'Event') ?? '',
      contentType: headerOf(m, 'Content-Type'),
      body: bodyOf(m),
    });
  }
  return out;
}

/** A `<dialog>` of a dialog-info document, as the parser gives it. */
export interface ParsedDialog {
  id: string;
  callId?: string;
  localTag?: string;
  remoteTag?: string;
  direction?: string;
  state: string;
  local?: string;
  remote?: string;
  remoteDisplay?: string;
}

export interface ParsedDialogInfo {
  version: number;
  state: string;
  entity: string;
  dialogs: ParsedDialog[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => name === 'dialog' || name === 'tuple',
  removeNSPrefix: true,
});

type XmlNode = Record<string, unknown>;

function text(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  const t = (node as XmlNode)['#text'];
  return t === undefined ? undefined : String(t);
}

/** Parses a dialog-info body (RFC 4235); throws when it is not one. */
export function parseDialogInfo(body: string): ParsedDialogInfo {
  const doc = parser.parse(body, true) as XmlNode;
  const info = doc['dialog-info'] as XmlNode | undefined;
  if (!info) throw new Error(`not a dialog-info document:\n${body}`);
  const dialogs = ((info['dialog'] as XmlNode[] | undefined) ?? []).map((d): ParsedDialog => {
    const local = (d['local'] as XmlNode | undefined)?.['identity'];
    const remote = (d['remote'] as XmlNode | undefined)?.['identity'];
    return {
      id: String(d['@id']),
      ...(d['@call-id'] !== undefined ? { callId: String(d['@call-id']) } : {}),
      ...(d['@local-tag'] !== undefined ? { localTag: String(d['@local-tag']) } : {}),
      ...(d['@remote-tag'] !== undefined ? { remoteTag: String(d['@remote-tag']) } : {}),
      ...(d['@direction'] !== undefined ? { direction: String(d['@direction']) } : {}),
      state: text(d['state']) ?? '',
      ...(local !== undefined ? { local: text(local) } : {}),
      ...(remote !== undefined ? { remote: text(remote) } : {}),
      ...(remote !== undefined && (remote as XmlNode)['@display'] !== undefined
        ? { remoteDisplay: String((remote as XmlNode)['@display']) }
        : {}),
    };
  });
  return {
    version: Number(info['@version']),
    state: String(info['@state']),
    entity: String(info['@entity']),
    dialogs,
  };
}

/** The lamp a document shows: the most important live dialog state, or `idle`. */
export function lamp(doc: ParsedDialogInfo): 'idle' | 'early' | 'confirmed' | 'trying' {
  const live = doc.dialogs.filter((d) => d.state !== 'terminated').map((d) => d.state);
  if (live.includes('confirmed')) return 'confirmed';
  if (live.includes('early')) return 'early';
  if (live.includes('trying')) return 'trying';
  return 'idle';
}

/**
 * The checks every busy-lamp trace must pass: dialog-info bodies with rising versions and
 * `state="full"`, active NOTIFYs then one final `terminated`, the lamp lit at some point and idle
 * before the un-SUBSCRIBE, every dialog that was live reported `terminated`. Returns the documents.
 */
export function expectLampCycle(r: SippResult, entityUser: string): ParsedDialogInfo[] {
  const list = notifies(r);
  expect(list.length).toBeGreaterThanOrEqual(3);
  for (const n of list) {
    expect(n.event).toMatch(/^dialog\b/);
    expect(n.contentType).toBe('application/dialog-info+xml');
  }
  const docs = list.map((n) => parseDialogInfo(n.body));
  const versions = docs.map((d) => d.version);
  for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]!);
  for (const d of docs) {
    expect(d.state).toBe('full');
    expect(d.entity).toMatch(new RegExp(`^sip:${entityUser}@`));
  }
  const states = list.map((n) => n.subscriptionState);
  for (const s of states.slice(0, -1)) expect(s).toMatch(/^active;expires=\d+$/);
  expect(states.at(-1)).toMatch(/^terminated;reason=timeout$/);
  const lamps = docs.map(lamp);
  expect(lamps).toContain(lamps.find((l) => l !== 'idle'));
  expect(lamps.some((l) => l !== 'idle')).toBe(true);
  expect(lamps.at(-2)).toBe('idle');
  expect(lamps.at(-1)).toBe('idle');
  // Every dialog that was ever live is reported terminated before the lamp goes off for good.
  const everLive = new Set(
    docs.flatMap((d) => d.dialogs.filter((x) => x.state !== 'terminated').map((x) => x.id)),
  );
  const ended = new Set(
    docs.flatMap((d) => d.dialogs.filter((x) => x.state === 'terminated').map((x) => x.id)),
  );
  for (const id of everLive) expect(ended).toContain(id);
  return docs;
}

const pidfParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
});

/** A PIDF presence document (RFC 3863) as the tests read it: entity, basic, note, activity. */
export interface ParsedPidf {
  entity: string;
  basic: string;
  note: string;
  activity?: string;
}

/** Parses a PIDF body with its first tuple and the RPID activity of its person, if any. */
export function parsePidf(body: string): ParsedPidf {
  const p = (pidfParser.parse(body, true) as XmlNode)['presence'] as XmlNode;
  const tuple = p['tuple'] as XmlNode;
  const person = p['person'] as XmlNode | undefined;
  const activities = person?.['activities'] as XmlNode | undefined;
  return {
    entity: String(p['@entity']),
    basic: String((tuple['status'] as XmlNode)['basic']),
    note: String(tuple['note']),
    ...(activities ? { activity: Object.keys(activities)[0] } : {}),
  };
}
