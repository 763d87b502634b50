import { NotFoundError, type Registration, type Station } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { isoTime, printJson, printTable, remaining } from '../format';

/** One row of the SIP Phone Status table. */
export interface StatusRow {
  tel: string;
  registered: boolean;
  phoneType: string;
  publicIp: string;
  publicPort: number;
  signalPort: number;
  protocol: string;
  contact: string | null;
  expiresAt: string | null;
  expiresIn: number | null;
}

/** The port of a Contact URI (5060, or 5061 for sips/TLS, when absent). */
export function contactPort(contact: string, protocol: string): number {
  const m = /^\s*(?:[^<]*<)?(sips?):(?:[^@;>]*@)?(\[[^\]]+\]|[^:;>?]+)(?::(\d+))?/i.exec(contact);
  if (m?.[3] !== undefined) return Number(m[3]);
  const secure = m?.[1]?.toLowerCase() === 'sips' || protocol === 'tls' || protocol === 'wss';
  return secure ? 5061 : 5060;
}

function rowsOf(station: Station, regs: Registration[], now: number): StatusRow[] {
  if (regs.length === 0) {
    return [
      {
        tel: station.tel,
        registered: false,
        phoneType: 'Disconnected',
        publicIp: '0.0.0.0',
        publicPort: 0,
        signalPort: 0,
        protocol: '-',
        contact: null,
        expiresAt: null,
        expiresIn: null,
      },
    ];
  }
  return regs.map((r) => ({
    tel: station.tel,
    registered: true,
    phoneType: r.userAgent || 'Non Samsung SIPP',
    publicIp: r.sourceIp,
    publicPort: r.sourcePort,
    signalPort: contactPort(r.contact, r.protocol),
    protocol: r.protocol.toUpperCase(),
    contact: r.contact,
    expiresAt: isoTime(r.expiresAt),
    expiresIn: Math.max(0, Math.round((r.expiresAt - now) / 1000)),
  }));
}

/** `pbx status [tel]`: the SIP Phone Status table, one row per live contact. */
export function registerStatus(program: Command, ctx: () => CliContext): void {
  program
    .command('status [tel]')
    .description('SIP Phone Status: registration of every station (or one)')
    .option('--json', 'print JSON')
    .action(async (tel: string | undefined, opts: { json?: boolean }) => {
      const c = ctx();
      const store = await c.store();
      const now = c.now();
      let stations: Station[];
      if (tel !== undefined) {
        const s = await store.stations.get(tel);
        if (!s) throw new NotFoundError('station', tel);
        stations = [s];
      } else {
        stations = await store.stations.list();
      }
      const live = await store.registrations.list({ activeAt: now });
      const byTel = new Map<string, Registration[]>();
      for (const r of live) byTel.set(r.tel, [...(byTel.get(r.tel) ?? []), r]);
      const rows = stations.flatMap((s) => rowsOf(s, byTel.get(s.tel) ?? [], now));
      if (opts.json) return printJson(c.io, rows);
      if (rows.length === 0) {
        c.io.stdout.write('no stations\n');
        return;
      }
      printTable(
        c.io,
        [
          'Tel Number',
          'Current Status',
          'Phone Type',
          'Public IP Address',
          'Public Port',
          'Signal Port',
          'Protocol',
          'Expires',
        ],
        rows.map((r) => [
          r.tel,
          r.registered ? 'Registered' : 'Not Registered',
          r.phoneType.length > 40 ? `${r.phoneType.slice(0, 37)}...` : r.phoneType,
          r.publicIp,
          r.publicPort,
          r.signalPort,
          r.protocol,
          r.expiresAt === null ? '-' : `in ${remaining(Date.parse(r.expiresAt), now)}`,
        ]),
      );
    });
}
