import { arange, isTensor, randn, setSeed, type Tensor, tensor, ValueError } from '@carousel/autograd';
import { assertAllclose } from '@carousel/autograd/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Linear } from '../layers/linear.js';
import { Sequential } from '../layers/sequential.js';
import { LSTM, type LSTMOptions } from '../rnn/lstm.js';
import { CONFIG_KEY, loadSafetensors, modelFromSafetensors, modelToSafetensors, saveSafetensors } from './safetensors.js';

const enc = new TextEncoder();

/** A file from a header string and data bytes, the header length written as given (or the real one). */
function file(header: string, data: ArrayLike<number> = [], headerLength?: number | bigint): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? h.length), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

const entry = (dtype: string, shape: unknown, offsets: unknown) =>
  `{"dtype":${JSON.stringify(dtype)},"shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

/** Written by the reference implementation (Python safetensors 0.8.0, safetensors.numpy.save). */
const REFERENCE =
  'UAIAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJjYXJvdXNlbCI6IntcImFcIjoxfSIsImZvcm1hdCI6Im5wIn0sImxvbmciOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOlswLDE2XX0sImRvdWJsZSI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzE2LDMyXX0sImVtcHR5Ijp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlswLDNdLCJkYXRhX29mZnNldHMiOlszMiwzMl19LCJzY2FsYXIiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6W10sImRhdGFfb2Zmc2V0cyI6WzMyLDM2XX0sIndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbMzYsNjBdfSwiaWRzIjp7ImR0eXBlIjoiSTMyIiwic2hhcGUiOlszLDFdLCJkYXRhX29mZnNldHMiOls2MCw3Ml19LCJoYWxmIjp7ImR0eXBlIjoiRjE2Iiwic2hhcGUiOls1XSwiZGF0YV9vZmZzZXRzIjpbNzIsODJdfSwiYnl0ZXMiOnsiZHR5cGUiOiJVOCIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzgyLDg0XX0sIm1hc2siOnsiZHR5cGUiOiJCT09MIiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbODQsODddfX0gICAg+/////////8AAABAAAAAABgtRFT7IQlAnHUAiDzkN/4AAIBAAADAPwAAEMAAAEBAAAAAAAAAAIBvEoM6BwAAAP3///////9/ADwAwf97AAQBAAD/AQAB';

const expectValueError = (f: () => unknown, message: RegExp) => {
  expect(f).toThrow(ValueError);
  expect(f).toThrow(message);
};

describe('saveSafetensors / loadSafetensors', () => {
  it('round-trips every dtype, scalars, empty tensors and metadata', () => {
    const sd = {
      w: randn([3, 4]),
      d: tensor([Math.PI, -1e300, Number.POSITIVE_INFINITY], { dtype: 'float64' }),
      i: tensor([[-(2 ** 31), 2 ** 31 - 1]], { dtype: 'int32' }),
      b: tensor([true, false, true]),
      s: tensor(2.5),
      e: randn([0, 3]),
      ['__proto__']: tensor([1]),
    } as Record<string, Tensor>;
    const bytes = saveSafetensors(sd, { epoch: '3', ünï: '✓' });
    const { tensors, metadata } = loadSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(Object.keys(sd));
    for (const [k, t] of Object.entries(sd)) {
      expect(tensors[k]!.dtype).toBe(t.dtype);
      expect(tensors[k]!.shape).toEqual(t.shape);
      expect(tensors[k]!.arraySync()).toEqual(t.arraySync());
    }
    expect(metadata).toEqual({ epoch: '3', ünï: '✓' });
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
  });

  it('writes the documented layout: u64 LE header length, padded JSON, contiguous LE data', () => {
    const bytes = saveSafetensors({ a: tensor([1, -2]), b: tensor([3], { dtype: 'int32' }) }, { k: 'v' });
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({
      __metadata__: { k: 'v' },
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
    });
    expect(Array.from(bytes.subarray(8 + n))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 3, 0, 0, 0]);
  });

  it('reads a file written by the reference implementation (incl. F16, I64, U8)', () => {
    const { tensors, metadata } = loadSafetensors(Buffer.from(REFERENCE, 'base64'));
    expect(metadata).toEqual({ carousel: '{"a":1}', format: 'np' });
    expect(Object.keys(tensors)).toEqual(['long', 'double', 'empty', 'scalar', 'weight', 'ids', 'half', 'bytes', 'mask']);
    expect(tensors.weight!.arraySync()).toEqual([
      [1.5, -2.25, 3],
      [0, -0, Math.fround(1e-3)],
    ]);
    expect(tensors.double!.arraySync()).toEqual([Math.PI, -1e300]);
    expect(tensors.ids!.dtype).toBe('int32');
    expect(tensors.ids!.arraySync()).toEqual([[7], [-3], [2147483647]]);
    expect(tensors.mask!.arraySync()).toEqual([true, false, true]);
    expect(tensors.half!.dtype).toBe('float32');
    expect(tensors.half!.arraySync()).toEqual([1, -2.5, 65504, 2 ** -14, 2 ** -24]);
    expect(tensors.long!.arraySync()).toEqual([-5, 2 ** 30]);
    expect(tensors.bytes!.arraySync()).toEqual([0, 255]);
    expect(tensors.scalar!.shape).toEqual([]);
    expect(tensors.scalar!.item()).toBe(4);
    expect(tensors.empty!.shape).toEqual([0, 3]);
  });

  it('reads BF16, and data at an unaligned offset of a larger buffer', () => {
    // bf16 0x3fc0 = 1.5, 0xc020 = -2.5; the header makes the data start at an odd byte
    const bytes = file(`{"x":${entry('BF16', [2], [0, 4])}}`, [0xc0, 0x3f, 0x20, 0xc0]);
    expect(loadSafetensors(bytes).tensors.x!.arraySync()).toEqual([1.5, -2.5]);
    const f = saveSafetensors({ w: tensor([1.25, 2.5, -3], { dtype: 'float64' }) });
    const big = new Uint8Array(f.length + 3);
    big.set(f, 3);
    expect(loadSafetensors(big.subarray(3)).tensors.w!.arraySync()).toEqual([1.25, 2.5, -3]);
    expect(loadSafetensors(big.buffer.slice(3)).tensors.w!.arraySync()).toEqual([1.25, 2.5, -3]);
  });

  it('accepts tensors listed in any order, and zero-size tensors anywhere', () => {
    const bytes = file(
      `{"b":${entry('I32', [1], [4, 8])},"z":${entry('F32', [0], [4, 4])},"a":${entry('I32', [1], [0, 4])}}`,
      [1, 0, 0, 0, 2, 0, 0, 0],
    );
    const { tensors } = loadSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['a', 'z', 'b']);
    expect(tensors.b!.item()).toBe(2);
  });

  describe('rejects hostile files with a ValueError that says what is wrong', () => {
    const ok = (h: string) => `{"x":${h}}`;
    const cases: [string, Uint8Array | ArrayBuffer, RegExp][] = [
      ['empty file', new Uint8Array(0), /truncated: 0 bytes/],
      ['7 bytes', new Uint8Array(7), /truncated/],
      ['header longer than the file', file('{}', [], 1000), /header length 1000 exceeds the 2 bytes/],
      ['header over 100 MB', file('{}', [], 100_000_001), /exceeds the 100000000-byte limit/],
      ['header length ≥ 2^32', file('{}', [], 2n ** 40n), /limit/],
      ['header length 2^64 − 1', file('{}', [], 2n ** 64n - 1n), /limit/],
      ['zero header', file('', []), /must be a JSON object/],
      ['header not starting with {', file(' {}', []), /starting with '\{'/],
      ['header not an object', file('[1]'), /starting with/],
      ['non-UTF-8 header', file('{"\u00ff"}').map((b, i) => (i === 10 ? 0xff : b)), /not valid UTF-8/],
      [
        'overlong UTF-8',
        (() => {
          const f = file('{"ab":1}');
          f[10] = 0xc1;
          f[11] = 0x81;
          return f;
        })(),
        /not valid UTF-8/,
      ],
      ['invalid JSON', file('{"x":'), /not valid JSON: unexpected end/],
      ['trailing garbage', file('{}x'), /trailing characters/],
      ['single quotes', file("{'x':1}"), /expected a string key/],
      ['control character', file('{"a\nb":1}'), /control character/],
      ['deep nesting', file(`{"x":${'['.repeat(5000)}${']'.repeat(5000)}}`), /nesting deeper than 16/],
      [
        'duplicate tensor',
        file(`{"x":${entry('F32', [1], [0, 4])},"x":${entry('F32', [1], [4, 8])}}`, new Uint8Array(8)),
        /duplicate key "x"/,
      ],
      [
        'duplicate field',
        file(`{"x":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(4)),
        /duplicate key "dtype"/,
      ],
      [
        'escaped duplicate',
        file(`{"x":${entry('F32', [1], [0, 4])},"\\u0078":${entry('F32', [1], [4, 8])}}`, new Uint8Array(8)),
        /duplicate key "x"/,
      ],
      ['unknown dtype', file(ok(entry('F128', [1], [0, 16])), new Uint8Array(16)), /tensor 'x': unknown dtype "F128"/],
      ['prototype dtype', file(ok(entry('constructor', [1], [0, 4])), new Uint8Array(4)), /unknown dtype "constructor"/],
      ['unsupported dtype', file(ok(entry('F8_E4M3', [1], [0, 1])), new Uint8Array(1)), /unsupported dtype "F8_E4M3"/],
      ['dtype not a string', file(ok('{"dtype":4,"shape":[1],"data_offsets":[0,4]}'), new Uint8Array(4)), /dtype must be a string/],
      ['missing shape', file(ok('{"dtype":"F32","data_offsets":[0,4]}'), new Uint8Array(4)), /shape must be an array, got nothing/],
      ['entry not an object', file('{"x":[1]}'), /expected an object with dtype/],
      ['negative dim', file(ok(entry('F32', [-1], [0, 4])), new Uint8Array(4)), /dimension 0 must be a non-negative integer, got -1/],
      ['fractional dim', file(ok(entry('F32', [1.5], [0, 6])), new Uint8Array(6)), /dimension 0 must be a non-negative integer, got 1.5/],
      ['huge dim', file(ok(entry('F32', [1e300], [0, 4])), new Uint8Array(4)), /dimension 0 must be a non-negative integer/],
      ['rank over 64', file(ok(entry('F32', new Array(65).fill(1), [0, 4])), new Uint8Array(4)), /rank 65 exceeds the limit of 64/],
      ['string dim', file(ok(entry('F32', ['1'], [0, 4])), new Uint8Array(4)), /dimension 0/],
      [
        'size·bytes ≠ end − begin',
        file(ok(entry('F32', [2], [0, 4])), new Uint8Array(4)),
        /shape \[2\] of F32 needs 2 elements × 4 bytes, but data_offsets \[0, 4\] span 4 bytes/,
      ],
      ['overflowing shape', file(ok(entry('F64', [2 ** 52, 2 ** 52, 2 ** 52, 0.5 + 0.5], [0, 8])), new Uint8Array(8)), /needs .* elements/],
      ['offsets reversed', file(ok(entry('F32', [0], [4, 0])), new Uint8Array(4)), /end before they begin/],
      ['offsets past the data', file(ok(entry('F32', [2], [0, 8])), new Uint8Array(4)), /run past the 4 data bytes/],
      ['offsets not integers', file(ok(entry('F32', [1], [0, 4.5])), new Uint8Array(4)), /data_offsets must be non-negative integers/],
      ['negative offsets', file(ok(entry('F32', [1], [-4, 0])), new Uint8Array(4)), /non-negative/],
      ['three offsets', file(ok(entry('F32', [1], [0, 4, 8])), new Uint8Array(4)), /data_offsets must be \[begin, end\]/],
      [
        'overlap',
        file(`{"a":${entry('F32', [2], [0, 8])},"b":${entry('F32', [1], [4, 8])}}`, new Uint8Array(8)),
        /'b' \[4, 8\] overlaps tensor 'a' \[0, 8\]/,
      ],
      [
        'hole between',
        file(`{"a":${entry('F32', [1], [0, 4])},"b":${entry('F32', [1], [8, 12])}}`, new Uint8Array(12)),
        /hole in the data: bytes \[4, 8\)/,
      ],
      ['hole at the start', file(ok(entry('F32', [1], [4, 8])), new Uint8Array(8)), /hole in the data: bytes \[0, 4\)/],
      ['trailing data', file(ok(entry('F32', [1], [0, 4])), new Uint8Array(8)), /bytes \[4, 8\) after the last tensor/],
      ['data but no tensors', file('{}', [1]), /hole/],
      ['metadata not strings', file('{"__metadata__":{"a":1}}'), /__metadata__ 'a' must be a string, got 1/],
      ['metadata not an object', file('{"__metadata__":"x"}'), /__metadata__ must be an object of strings/],
      ['bool byte 2', file(ok(entry('BOOL', [1], [0, 1])), [2]), /BOOL must be 0 or 1/],
      ['I64 beyond int32', file(ok(entry('I64', [1], [0, 8])), [0, 0, 0, 0, 1, 0, 0, 0]), /does not fit in int32/],
    ];
    it.each(cases)('%s', (_, bytes, message) => {
      expectValueError(() => loadSafetensors(bytes), message);
    });
    it('not bytes at all', () => {
      expectValueError(() => loadSafetensors('abc' as never), /Uint8Array or ArrayBuffer/);
    });
  });

  it('a header right at the limit is read, not refused (only the length is checked first)', () => {
    const h = `{"__metadata__":{"pad":"${'x'.repeat(1000)}"}}`;
    expect(loadSafetensors(file(h)).metadata.pad).toHaveLength(1000);
  });

  it('save rejects what it cannot write', () => {
    expect(() => saveSafetensors({ x: [1, 2] as never })).toThrow(/'x' is not a Tensor/);
    expect(() => saveSafetensors({ __metadata__: tensor([1]) })).toThrow(/reserved/);
    expect(() => saveSafetensors({}, { a: 1 as never })).toThrow(/metadata 'a' must be a string/);
  });
});

describe('fuzzing loadSafetensors: a valid result or a ValueError, nothing else', () => {
  const valid = saveSafetensors(
    {
      'layer.weight': randn([3, 2]),
      'layer.bias': tensor([1, 2, 3], { dtype: 'float64' }),
      ids: tensor([[1, 2]], { dtype: 'int32' }),
      mask: tensor([true, false]),
      s: tensor(1),
    },
    { carousel: '{"x":1}' },
  );
  const reference = Buffer.from(REFERENCE, 'base64');

  /** Runs the parser; on success checks every tensor is well-formed. */
  function check(bytes: Uint8Array): void {
    let result: ReturnType<typeof loadSafetensors>;
    try {
      result = loadSafetensors(bytes);
    } catch (e) {
      if (!(e instanceof ValueError)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      return;
    }
    let total = 0;
    for (const t of Object.values(result.tensors)) {
      expect(isTensor(t)).toBe(true);
      expect(t.size).toBe(t.shape.reduce((a, b) => a * b, 1));
      expect(t.dataSync().length).toBe(t.size);
      total += t.size;
    }
    expect(total).toBeLessThanOrEqual(bytes.length);
    for (const v of Object.values(result.metadata)) expect(typeof v).toBe('string');
  }

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => check(b)),
      { numRuns: 2000 },
    );
  });

  it('random bytes after a plausible header length', () => {
    fc.assert(
      fc.property(fc.nat(600), fc.uint8Array({ maxLength: 600 }), (n, rest) => {
        const b = new Uint8Array(8 + rest.length);
        new DataView(b.buffer).setUint32(0, n, true);
        b.set(rest, 8);
        if (rest.length) b[8] = 0x7b;
        check(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('random mutations of valid files', () => {
    const mutation = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 8 }), (ref, muts) => {
        const b = Uint8Array.from(ref ? reference : valid);
        for (const { at, value } of muts) b[at % b.length] = value;
        check(b);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutations aimed at the header text (digits, quotes, brackets)', () => {
    const n = Number(new DataView(valid.buffer).getBigUint64(0, true));
    const chars = fc.constantFrom(...'0123456789-.eE",:[]{}x \\u'.split('').map((c) => c.charCodeAt(0)));
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(n - 1), c: chars }), { minLength: 1, maxLength: 4 }), (muts) => {
        const b = Uint8Array.from(valid);
        for (const { at, c } of muts) b[8 + at] = c;
        check(b);
      }),
      { numRuns: 3000 },
    );
  });

  it('random truncations and extensions', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.uint8Array({ maxLength: 16 }), (ref, cut, extra) => {
        const src = ref ? reference : valid;
        const b = new Uint8Array(src.length - (cut % src.length) + extra.length);
        b.set(src.subarray(0, src.length - (cut % src.length)));
        b.set(extra, src.length - (cut % src.length));
        check(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('random well-formed headers with arbitrary dtypes, shapes and offsets', () => {
    const dim = fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constantFrom(1.5, 2 ** 53, 1e20));
    const spec = fc.record({
      dtype: fc.constantFrom('F32', 'F64', 'I32', 'BOOL', 'F16', 'BF16', 'I64', 'U8', 'X', ''),
      shape: fc.array(dim, { maxLength: 3 }),
      offsets: fc.tuple(fc.integer({ min: -1, max: 40 }), fc.integer({ min: -1, max: 40 })),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 3 }), spec, { maxKeys: 4 }), fc.uint8Array({ maxLength: 40 }), (specs, data) => {
        const header = `{${Object.entries(specs)
          .map(([k, s]) => `${JSON.stringify(k)}:${entry(s.dtype, s.shape, s.offsets)}`)
          .join(',')}}`;
        check(file(header, data));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('modelToSafetensors / modelFromSafetensors', () => {
  interface Config {
    inputSize: number;
    hiddenSize: number;
    options: LSTMOptions;
  }
  const build = (c: Config) => new LSTM(c.inputSize, c.hiddenSize, c.options);

  it('rebuilds the model from the stored config and weights', () => {
    setSeed(1);
    const config: Config = {
      inputSize: 3,
      hiddenSize: 5,
      options: { numLayers: 2, bidirectional: true, peephole: true, dtype: 'float64' },
    };
    const lstm = build(config);
    const bytes = modelToSafetensors(lstm, config, { trainedOn: 'adding problem' });
    const { metadata } = loadSafetensors(bytes);
    expect(JSON.parse(metadata[CONFIG_KEY]!)).toEqual(config);
    expect(metadata.trainedOn).toBe('adding problem');
    setSeed(2); // a different initialisation, overwritten by the file
    const again = modelFromSafetensors(bytes, build);
    expect(again.numLayers).toBe(2);
    const x = randn([4, 2, 3], { dtype: 'float64' });
    assertAllclose(again.forward(x).output, lstm.forward(x).output, { atol: 0, rtol: 0 });
  });

  it('works for containers (Sequential) with a hand-written config', () => {
    const cfg = { sizes: [2, 4, 1] };
    const make = (c: typeof cfg) => new Sequential(new Linear(c.sizes[0]!, c.sizes[1]!), new Linear(c.sizes[1]!, c.sizes[2]!));
    const net = make(cfg);
    const again = modelFromSafetensors(modelToSafetensors(net, cfg), make);
    const x = arange(6).reshape([3, 2]);
    expect(again.forward(x).arraySync()).toEqual(net.forward(x).arraySync());
  });

  it('reports a missing or broken config, and a config that builds the wrong model', () => {
    const lstm = new LSTM(2, 3);
    expectValueError(() => modelFromSafetensors(saveSafetensors(lstm.stateDict()), build), /no 'carousel' config/);
    expectValueError(() => modelFromSafetensors(saveSafetensors(lstm.stateDict(), { carousel: '{' }), build), /not valid JSON/);
    const bytes = modelToSafetensors(lstm, { inputSize: 2, hiddenSize: 3, options: { numLayers: 2 } });
    expectValueError(() => modelFromSafetensors(bytes, build), /missing keys: weight_ih_l1/);
    expectValueError(() => modelToSafetensors(lstm, { eps: Number.NaN }), /config value 'eps' is NaN/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectValueError(() => modelToSafetensors(lstm, cyclic), /cannot be written as JSON/);
    expectValueError(() => modelToSafetensors(lstm, undefined), /cannot be written as JSON/);
  });
});
