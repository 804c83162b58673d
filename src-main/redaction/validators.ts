// Pure checksum and structure validators the detectors use as precision guards: a regex finds a candidate,
// one of these decides whether it is really a card number, an IBAN, an SSN, an IP address or a JWT.
import { isIPv6 } from 'node:net';

/** Luhn (mod 10) check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Issuer prefix and length plausibility for a card number (digits only): Visa 4 (13/16/19), Mastercard 51–55 and
 * 2221–2720 (16), Amex 34/37 (15), Diners 30/36/38/39 (14–16), JCB 35 (16–19), Discover/UnionPay/Maestro 6 (16–19),
 * Maestro 50/56–58 (12–19). Numbers starting with 0, 1, 7, 8 or 9 are never cards here (epoch-ms timestamps
 * and snowflake ids start with 1).
 */
export function cardPrefixPlausible(d: string): boolean {
  const n = d.length;
  if (n < 13 || n > 19) return false;
  const p2 = Number(d.slice(0, 2));
  const p4 = Number(d.slice(0, 4));
  switch (d[0]) {
    case '4':
      return n === 13 || n === 16 || n === 19;
    case '5':
      if (p2 >= 51 && p2 <= 55) return n === 16;
      return p2 === 50 || (p2 >= 56 && p2 <= 58);
    case '2':
      return p4 >= 2221 && p4 <= 2720 && n === 16;
    case '3':
      if (p2 === 34 || p2 === 37) return n === 15;
      if (p2 === 35) return n >= 16;
      return (p2 === 30 || p2 === 36 || p2 === 38 || p2 === 39) && n >= 14 && n <= 16;
    case '6':
      return n >= 16;
    default:
      return false;
  }
}

export function isAllSameChar(s: string): boolean {
  for (let i = 1; i < s.length; i++) if (s.charCodeAt(i) !== s.charCodeAt(0)) return false;
  return true;
}

/** US SSN `AAA-GG-SSSS`: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00') return false;
  if (serial === '0000') return false;
  return true;
}

/** IBAN lengths per country (SWIFT IBAN registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21,
  CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18,
  FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24,
  ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29,
  PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23,
  ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
}; // prettier-ignore

/** ISO 13616 check: known country, exact length, mod-97 of the rearranged number equals 1. */
export function ibanValid(compact: string): boolean {
  const len = IBAN_LENGTHS[compact.slice(0, 2)];
  if (len === undefined || compact.length !== len) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/**
 * IPv6 guard on top of `net.isIPv6`: a compressed form (`::`) must contain a digit and a group of at least three
 * hex digits, so C++ `abc::def`, Python slices `1::2` and `::` alone are not addresses (`fe80::1`, `2001:db8::`
 * pass). Uncompressed forms must be the full eight groups (isIPv6 enforces that).
 */
export function ipv6Plausible(s: string): boolean {
  if (!isIPv6(s)) return false;
  if (!s.includes('::')) return true;
  if (!/[0-9]/.test(s)) return false;
  return /[0-9A-Fa-f]{3}/.test(s);
}

/** A JWT header: base64url that decodes to a JSON object with a string `alg`. */
export function jwtHeaderValid(b64: string): boolean {
  try {
    const json: unknown = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
    return (
      typeof json === 'object' &&
      json !== null &&
      typeof (json as Record<string, unknown>)['alg'] === 'string'
    );
  } catch {
    return false;
  }
}

/** Character-class mix that random key material has and words, hex digests and identifiers usually lack. */
export function hasUpperLowerDigit(s: string): boolean {
  return /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s);
}

export function hasLetterAndDigit(s: string): boolean {
  return /[A-Za-z]/.test(s) && /[0-9]/.test(s);
}
