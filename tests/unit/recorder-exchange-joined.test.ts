// A request body's parts as one buffer: parts back to back in one hand-off buffer are viewed in place, any other
// parts are copied; the bytes are the parts' in order either way.
import { describe, expect, it } from 'vitest';
import { joined } from '../../src-main/recorder/exchange.js';

describe('joined request body parts', () => {
  const packed = Buffer.from('0123456789abcdef');
  it('views adjacent parts of one buffer without copying', () => {
    const parts = [packed.subarray(2, 5), packed.subarray(5, 9), packed.subarray(9, 12)];
    const body = joined(parts);
    expect(body.toString()).toBe('23456789ab');
    expect(body.buffer).toBe(packed.buffer);
    expect(body.byteOffset).toBe(packed.byteOffset + 2);
  });
  it('copies parts that are not adjacent, or not of one buffer, in order', () => {
    const gap = joined([packed.subarray(0, 2), packed.subarray(3, 5)]);
    expect(gap.toString()).toBe('0134');
    const other = Buffer.from('XY');
    const mixed = joined([packed.subarray(0, 2), other]);
    expect(mixed.toString()).toBe('01XY');
    const reordered = joined([packed.subarray(4, 6), packed.subarray(2, 4)]);
    expect(reordered.toString()).toBe('4523');
  });
  it('gives an empty buffer for no parts and the part itself for one', () => {
    expect(joined([]).length).toBe(0);
    const one = packed.subarray(1, 3);
    expect(joined([one])).toBe(one);
  });
});
