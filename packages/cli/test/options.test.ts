import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  parseFov,
  parseMaxDetections,
  parseNumAug,
  parseSmoothing,
  parseThreshold,
} from '../src/options.js';

describe('option parsers', () => {
  it('accept valid values', () => {
    expect(parseNumAug('5')).toBe(5);
    expect(parseFov('55')).toBe(55);
    expect(parseFov('12.5')).toBe(12.5);
    expect(parseThreshold('0')).toBe(0);
    expect(parseThreshold('1')).toBe(1);
    expect(parseMaxDetections('-1')).toBe(-1);
    expect(parseMaxDetections('3')).toBe(3);
    expect(parseSmoothing('1')).toBe(1);
  });

  it.each([
    [parseNumAug, '0'],
    [parseNumAug, '1.5'],
    [parseNumAug, 'abc'],
    [parseNumAug, ''],
    [parseNumAug, '0x10'],
    [parseFov, '0'],
    [parseFov, '180'],
    [parseFov, 'NaN'],
    [parseFov, 'Infinity'],
    [parseThreshold, '1.01'],
    [parseThreshold, '-0.1'],
    [parseMaxDetections, '0'],
    [parseMaxDetections, '-2'],
    [parseSmoothing, '0'],
  ])('reject %o(%j)', (parse, value) => {
    expect(() => parse(value)).toThrow(InvalidArgumentError);
  });
});
