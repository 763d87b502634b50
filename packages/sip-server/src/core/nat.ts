/** Helpers for the NAT route decision (wire spec §6.9). */
import net from 'node:net';

/** RFC 1918 private IPv4 space. */
export function isPrivateAddress(host: string): boolean {
  if (net.isIPv4(host)) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  return false;
}
