/** An IPv4 or IPv6 address as a number; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) counts as IPv4. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** A CIDR block with its host bits cleared. */
export interface CidrBlock {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/** How the administrator wrote a white-list entry. */
export type WhitelistForm = 'address' | 'cidr' | 'broadcast';

/** A white-list entry parsed into the CIDR that is stored. */
export interface WhitelistEntry {
  cidr: string;
  form: WhitelistForm;
}

/** The input is neither an IP address, a CIDR block nor a broadcast address. */
export class InvalidAddressError extends Error {
  override name = 'InvalidAddressError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

const BITS = { 4: 32, 6: 128 } as const;

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // No leading zeros: "010" reads as octal in some tools and decimal in others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let body = text;
  const zone = body.indexOf('%');
  if (zone >= 0) body = body.slice(0, zone);
  let tail: bigint[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.') && lastColon >= 0) {
    const v4 = parseIpv4(body.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    // Keep a trailing "::", drop a single trailing ":" ("::ffff:" becomes "::ffff").
    const head = body.slice(0, lastColon + 1);
    body = head.endsWith('::') ? head : head.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string): bigint[] | undefined => {
    if (s === '') return [];
    const out: bigint[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = group(halves[0] ?? '');
  const rest = halves.length === 2 ? group(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length + tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    groups = [...head, ...new Array<bigint>(8 - given).fill(0n), ...rest, ...tail];
  } else {
    if (given !== 8) return undefined;
    groups = [...head, ...tail];
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses an IPv4 or IPv6 address; undefined when `text` is not one. */
export function parseIp(text: string): IpAddress | undefined {
  const t = text.trim();
  const v4 = parseIpv4(t);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!t.includes(':')) return undefined;
  const v6 = parseIpv6(t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) {
    return { family: 4, value: v6 & 0xffffffffn };
  }
  return { family: 6, value: v6 };
}

/** Formats an address: dotted quad, or RFC 5952 compressed lower-case IPv6. */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Normalises an address to its canonical text; undefined when it is not one. */
export function normalizeIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : undefined;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  return ((1n << BigInt(prefix)) - 1n) << (bits - BigInt(prefix));
}

/** Parses `address/prefix`, clearing host bits; undefined when malformed. */
export function parseCidr(text: string): CidrBlock | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1).trim();
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  // An IPv4-mapped IPv6 block (::ffff:10.0.0.0/104) is the IPv4 block /8.
  if (ip.family === 4 && text.slice(0, slash).includes(':')) prefix -= 96;
  if (prefix < 0 || prefix > BITS[ip.family]) return undefined;
  return { family: ip.family, network: ip.value & mask(ip.family, prefix), prefix };
}

/** Formats a CIDR block as `network/prefix`. */
export function formatCidr(block: CidrBlock): string {
  return `${formatIp({ family: block.family, value: block.network })}/${block.prefix}`;
}

/**
 * Parses a white-list entry as the administrator writes it:
 * - an address (`192.168.1.20`, `2001:db8::5`) allows that address only (/32, /128);
 * - a CIDR block (`10.1.0.0/16`) allows the block; host bits are cleared;
 * - an IPv4 broadcast address, as in the OfficeServ Phone IP White List: each trailing `255`
 *   octet opens one octet, so `192.168.1.255` is 192.168.1.0/24, `172.16.255.255` is
 *   172.16.0.0/16 and `10.255.255.255` is 10.0.0.0/8. `255.255.255.255` is refused (write
 *   `0.0.0.0/0` to allow everyone on purpose); a single address ending in .255 is `a.b.c.255/32`.
 */
export function parseWhitelistEntry(input: string): WhitelistEntry {
  const text = input.trim();
  if (text.includes('/')) {
    const block = parseCidr(text);
    if (!block) {
      throw new InvalidAddressError(`"${input}" is not a valid CIDR block (e.g. 192.168.1.0/24)`);
    }
    return { cidr: formatCidr(block), form: 'cidr' };
  }
  const ip = parseIp(text);
  if (!ip) {
    throw new InvalidAddressError(
      `"${input}" is not an IP address, a CIDR block or a broadcast address (e.g. 192.168.1.255)`,
    );
  }
  if (ip.family === 4 && !text.includes(':')) {
    let open = 0;
    while (open < 4 && ((ip.value >> BigInt(open * 8)) & 0xffn) === 0xffn) open++;
    if (open === 4) {
      throw new InvalidAddressError(
        `"${input}" would allow every address; write 0.0.0.0/0 if that is really meant`,
      );
    }
    if (open > 0) {
      const prefix = 32 - open * 8;
      return {
        cidr: formatCidr({ family: 4, network: ip.value & mask(4, prefix), prefix }),
        form: 'broadcast',
      };
    }
  }
  return {
    cidr: formatCidr({ family: ip.family, network: ip.value, prefix: BITS[ip.family] }),
    form: 'address',
  };
}

/** True when `ip` lies in the block. */
export function cidrContains(block: CidrBlock, ip: IpAddress): boolean {
  return block.family === ip.family && (ip.value & mask(ip.family, block.prefix)) === block.network;
}

/** A set of CIDR blocks to test addresses against (the loaded white list). */
export class AddressMatcher {
  private readonly blocks: CidrBlock[];

  constructor(cidrs: readonly string[]) {
    this.blocks = [];
    for (const c of cidrs) {
      const b = parseCidr(c);
      if (b) this.blocks.push(b);
    }
  }

  /** True when `ip` (any textual form) is inside one of the blocks. */
  has(ip: string): boolean {
    // Asked for every request (Comm Exclusive's trust check): an empty list needs no parse.
    if (this.blocks.length === 0) return false;
    const addr = parseIp(ip);
    if (!addr) return false;
    return this.blocks.some((b) => cidrContains(b, addr));
  }

  get size(): number {
    return this.blocks.length;
  }
}
