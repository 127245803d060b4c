import { type DType, isTensor, type Tensor, tensor, ValueError } from '@carousel/autograd';
import type { LoadOptions, Module, StateDict } from '../module.js';

/**
 * What {@link loadSafetensors} returns: the tensors by name and the `__metadata__` strings.
 *
 * @example
 * const bytes = saveSafetensors({ w: ones([2, 2]) }, { note: 'demo' });
 * const { tensors, metadata }: SafetensorsContents = loadSafetensors(bytes);
 */
export interface SafetensorsContents {
  /** The tensors, in file (offset) order. */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` (string to string), empty when absent. */
  metadata: Record<string, string>;
}

/**
 * The metadata key under which {@link modelToSafetensors} stores the model's config (as JSON).
 *
 * @example
 * const bytes = modelToSafetensors(new Linear(4, 2), { inFeatures: 4, outFeatures: 2 });
 * JSON.parse(loadSafetensors(bytes).metadata[CONFIG_KEY]!); // { inFeatures: 4, outFeatures: 2 }
 */
export const CONFIG_KEY = 'carousel';

/** The largest header accepted (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;
/** Highest tensor rank accepted (far beyond any real model; bounds the work per entry). */
const MAX_RANK = 64;
/** Deepest JSON nesting accepted in a header (a valid one needs 3). */
const MAX_DEPTH = 16;

const OP_SAVE = 'saveSafetensors';
const OP_LOAD = 'loadSafetensors';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The safetensors dtype each Carousel dtype is written as. */
const WRITE_DTYPE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };

/** How each readable file dtype decodes: element size, the tensor dtype, and a reader. */
interface Reader {
  bytes: number;
  dtype: DType;
  read: (view: DataView, offset: number) => number;
}

const f16 = (bits: number): number => {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
};
const bf16Scratch = new DataView(new ArrayBuffer(4));
const bf16 = (bits: number): number => {
  bf16Scratch.setUint32(0, bits << 16);
  return bf16Scratch.getFloat32(0);
};

const READERS: Record<string, Reader> = {
  F64: { bytes: 8, dtype: 'float64', read: (v, o) => v.getFloat64(o, true) },
  F32: { bytes: 4, dtype: 'float32', read: (v, o) => v.getFloat32(o, true) },
  F16: { bytes: 2, dtype: 'float32', read: (v, o) => f16(v.getUint16(o, true)) },
  BF16: { bytes: 2, dtype: 'float32', read: (v, o) => bf16(v.getUint16(o, true)) },
  I64: { bytes: 8, dtype: 'int32', read: (v, o) => Number(v.getBigInt64(o, true)) },
  U64: { bytes: 8, dtype: 'int32', read: (v, o) => Number(v.getBigUint64(o, true)) },
  I32: { bytes: 4, dtype: 'int32', read: (v, o) => v.getInt32(o, true) },
  U32: { bytes: 4, dtype: 'int32', read: (v, o) => v.getUint32(o, true) },
  I16: { bytes: 2, dtype: 'int32', read: (v, o) => v.getInt16(o, true) },
  U16: { bytes: 2, dtype: 'int32', read: (v, o) => v.getUint16(o, true) },
  I8: { bytes: 1, dtype: 'int32', read: (v, o) => v.getInt8(o) },
  U8: { bytes: 1, dtype: 'int32', read: (v, o) => v.getUint8(o) },
  BOOL: { bytes: 1, dtype: 'bool', read: (v, o) => v.getUint8(o) },
};
/** Dtypes of the format that Carousel cannot represent (named in the error). */
const UNSUPPORTED = ['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64'];

/**
 * Serialises tensors to the [safetensors](https://github.com/huggingface/safetensors) format:
 * an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { key: value } }`
 * (space-padded so the data starts 8-byte aligned), then the raw little-endian data, contiguous,
 * in the state dict's order. float32/float64/int32/bool are written as F32/F64/I32/BOOL. The
 * file loads in Python with `safetensors.torch.load_file`. Tensors are read synchronously (CPU).
 *
 * @example
 * const lstm = new LSTM(8, 16);
 * const bytes = saveSafetensors(lstm.stateDict(), { note: 'epoch 3' });
 * writeFileSync('lstm.safetensors', bytes);
 */
export function saveSafetensors(stateDict: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  if (typeof stateDict !== 'object' || stateDict === null) throw new ValueError('stateDict must be an object of tensors', OP_SAVE);
  const meta = checkMetadata(metadata);
  const entries = Object.entries(stateDict);
  const parts: string[] = [];
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new ValueError("'__metadata__' is reserved and cannot name a tensor", OP_SAVE);
    if (!isTensor(t)) throw new ValueError(`'${name}' is not a Tensor`, OP_SAVE);
    const blob = bytesOf(t);
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${WRITE_DTYPE[t.dtype]}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${offset + blob.length}]}`,
    );
    blobs.push(blob);
    offset += blob.length;
  }
  if (meta.length) parts.unshift(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.length;
  }
  return out;
}

function checkMetadata(metadata: Record<string, string>): [string, string][] {
  if (typeof metadata !== 'object' || metadata === null) throw new ValueError('metadata must be an object of strings', OP_SAVE);
  const entries = Object.entries(metadata);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new ValueError(`metadata '${k}' must be a string, got ${typeof v}`, OP_SAVE);
  }
  return entries;
}

/** The little-endian bytes of a tensor's elements. */
function bytesOf(t: Tensor): Uint8Array {
  const data = t.dataSync();
  if (t.dtype === 'bool') return Uint8Array.from(data as Uint8Array, (v) => (v ? 1 : 0));
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST) return raw.slice();
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  data.forEach((v: number, i: number) => {
    if (t.dtype === 'float64') view.setFloat64(i * 8, v, true);
    else if (t.dtype === 'float32') view.setFloat32(i * 4, v, true);
    else view.setInt32(i * 4, v, true);
  });
  return out;
}

/**
 * Parses a safetensors file into tensors and metadata. F32, F64, I32 and BOOL load as
 * float32, float64, int32 and bool; F16 and BF16 widen (exactly) to float32; I8–I64 and U8–U64
 * narrow to int32 when every value fits. The file is validated completely before any tensor is
 * made, and anything malformed — a truncated file, a header length beyond the file or over
 * 100 MB, a header that is not UTF-8 or not JSON (or has duplicate keys), an unknown dtype, a
 * shape that disagrees with its byte range, overlapping, out-of-bounds or non-contiguous
 * offsets, a bad dimension — throws a `ValueError` that says what is wrong. Memory used is
 * bounded by the file's size.
 *
 * @example
 * const { tensors, metadata } = loadSafetensors(readFileSync('lstm.safetensors'));
 * const lstm = new LSTM(8, 16).loadStateDict(tensors);
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsContents {
  const buf = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(buf instanceof Uint8Array)) throw new ValueError('expected the file as a Uint8Array or ArrayBuffer', OP_LOAD);
  if (buf.length < 8) throw new ValueError(`file is truncated: ${buf.length} bytes, a safetensors file has at least 8`, OP_LOAD);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const n = high * 2 ** 32 + low;
  if (n > MAX_HEADER) throw new ValueError(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`, OP_LOAD);
  if (8 + n > buf.length)
    throw new ValueError(`file is truncated: header length ${n} exceeds the ${buf.length - 8} bytes after it`, OP_LOAD);
  if (n === 0 || buf[8] !== 0x7b) throw new ValueError("header must be a JSON object starting with '{'", OP_LOAD);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf.subarray(8, 8 + n));
  } catch {
    throw new ValueError('header is not valid UTF-8', OP_LOAD);
  }
  const header = parseJson(text);
  if (!(header instanceof Map)) throw new ValueError('header must be a JSON object', OP_LOAD);
  const dataStart = 8 + n;
  const dataLength = buf.length - dataStart;
  const specs: Spec[] = [];
  let metadata: [string, string][] = [];
  for (const [name, value] of header) {
    if (name === '__metadata__') metadata = readMetadata(value);
    else specs.push(readSpec(name, value, dataLength));
  }
  const tensors = checkLayout(specs, dataLength).map(
    ({ name, reader, shape, begin, size }) => [name, decode(buf, view, dataStart + begin, reader, shape, size, name)] as const,
  );
  return { tensors: Object.fromEntries(tensors), metadata: Object.fromEntries(metadata) };
}

interface Spec {
  name: string;
  reader: Reader;
  shape: number[];
  size: number;
  begin: number;
  end: number;
}

function readMetadata(value: Json): [string, string][] {
  if (!(value instanceof Map)) throw new ValueError('__metadata__ must be an object of strings', OP_LOAD);
  const out: [string, string][] = [];
  for (const [k, v] of value) {
    if (typeof v !== 'string') throw new ValueError(`__metadata__ '${k}' must be a string, got ${describe(v)}`, OP_LOAD);
    out.push([k, v]);
  }
  return out;
}

function readSpec(name: string, value: Json, dataLength: number): Spec {
  const what = `tensor '${name}'`;
  if (!(value instanceof Map))
    throw new ValueError(`${what}: expected an object with dtype, shape and data_offsets, got ${describe(value)}`, OP_LOAD);
  const dtype = value.get('dtype');
  const shape = value.get('shape');
  const offsets = value.get('data_offsets');
  if (typeof dtype !== 'string') throw new ValueError(`${what}: dtype must be a string, got ${describe(dtype)}`, OP_LOAD);
  const reader = READERS[dtype];
  if (!reader || !Object.hasOwn(READERS, dtype)) {
    const known = UNSUPPORTED.includes(dtype);
    throw new ValueError(
      `${what}: ${known ? 'unsupported' : 'unknown'} dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(READERS).join(', ')}`,
      OP_LOAD,
    );
  }
  if (!Array.isArray(shape)) throw new ValueError(`${what}: shape must be an array, got ${describe(shape)}`, OP_LOAD);
  if (shape.length > MAX_RANK) throw new ValueError(`${what}: rank ${shape.length} exceeds the limit of ${MAX_RANK}`, OP_LOAD);
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new ValueError(`${what}: dimension ${i} must be a non-negative integer, got ${describe(d)}`, OP_LOAD);
  });
  const dims = shape as number[];
  if (!Array.isArray(offsets) || offsets.length !== 2)
    throw new ValueError(`${what}: data_offsets must be [begin, end], got ${describe(offsets)}`, OP_LOAD);
  const [begin, end] = offsets;
  for (const v of [begin, end]) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw new ValueError(`${what}: data_offsets must be non-negative integers, got ${describe(offsets)}`, OP_LOAD);
  }
  const [b, e] = [begin as number, end as number];
  if (b > e) throw new ValueError(`${what}: data_offsets [${b}, ${e}] end before they begin`, OP_LOAD);
  if (e > dataLength) throw new ValueError(`${what}: data_offsets [${b}, ${e}] run past the ${dataLength} data bytes`, OP_LOAD);
  // the element count, stopping early once it cannot fit the byte range (no overflow, no huge numbers)
  let size = 1;
  for (const d of dims) {
    size *= d;
    if (size * reader.bytes > e - b) break;
  }
  if (dims.includes(0)) size = 0;
  if (size * reader.bytes !== e - b) {
    throw new ValueError(
      `${what}: shape [${dims.join(', ')}] of ${dtype} needs ${dims.includes(0) ? 0 : `${dims.reduce((a, x) => a * x, 1)}`} elements × ${reader.bytes} bytes, but data_offsets [${b}, ${e}] span ${e - b} bytes`,
      OP_LOAD,
    );
  }
  return { name, reader, shape: dims, size, begin: b, end: e };
}

/** Offsets must tile the data exactly: sorted, no overlap, no hole, nothing after the last one. */
function checkLayout(specs: Spec[], dataLength: number): Spec[] {
  const sorted = [...specs].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let at = 0;
  let prev: Spec | undefined;
  for (const s of sorted) {
    if (s.begin < at)
      throw new ValueError(
        `tensor '${s.name}' [${s.begin}, ${s.end}] overlaps tensor '${prev!.name}' [${prev!.begin}, ${prev!.end}]`,
        OP_LOAD,
      );
    if (s.begin > at) throw new ValueError(`hole in the data: bytes [${at}, ${s.begin}) belong to no tensor (before '${s.name}')`, OP_LOAD);
    at = s.end;
    prev = s;
  }
  if (at !== dataLength)
    throw new ValueError(`hole in the data: bytes [${at}, ${dataLength}) after the last tensor belong to none`, OP_LOAD);
  return sorted;
}

function decode(buf: Uint8Array, view: DataView, start: number, reader: Reader, shape: number[], size: number, name: string): Tensor {
  const { bytes, dtype } = reader;
  if (LITTLE_ENDIAN_HOST && (reader === READERS.F32 || reader === READERS.F64 || reader === READERS.I32)) {
    // copy into a fresh, aligned buffer (a Node Buffer's slice() would share memory instead)
    const copy = new ArrayBuffer(size * bytes);
    new Uint8Array(copy).set(buf.subarray(start, start + size * bytes));
    const data = dtype === 'float64' ? new Float64Array(copy) : dtype === 'float32' ? new Float32Array(copy) : new Int32Array(copy);
    return tensor(data, { shape, dtype });
  }
  const data =
    dtype === 'float64'
      ? new Float64Array(size)
      : dtype === 'float32'
        ? new Float32Array(size)
        : dtype === 'int32'
          ? new Int32Array(size)
          : new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const v = reader.read(view, start + i * bytes);
    if (dtype === 'int32' && (v < -(2 ** 31) || v >= 2 ** 31))
      throw new ValueError(`tensor '${name}': element ${i} (${v}) does not fit in int32`, OP_LOAD);
    if (dtype === 'bool' && v > 1) throw new ValueError(`tensor '${name}': element ${i} is byte ${v}; BOOL must be 0 or 1`, OP_LOAD);
    data[i] = v;
  }
  return tensor(data, { shape, dtype });
}

// ---- a strict JSON parser: duplicate keys, bounded depth, linear time -------------------------

type Json = null | boolean | number | string | Json[] | Map<string, Json>;

const ESCAPES = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);
const HEX4 = /^[0-9a-fA-F]{4}$/;

function describe(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v instanceof Map) return 'an object';
  if (Array.isArray(v))
    return `[${v
      .slice(0, 8)
      .map((x) => (typeof x === 'object' && x !== null ? '…' : JSON.stringify(x)))
      .join(', ')}]`.slice(0, 80);
  return JSON.stringify(v).slice(0, 80);
}

/** Parses `text` as one JSON value; throws ValueError naming the position of the first problem. */
function parseJson(text: string): Json {
  let i = 0;
  const fail = (what: string): never => {
    throw new ValueError(`header is not valid JSON: ${what} at character ${i}`, OP_LOAD);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    let run = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in a string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(run, i);
      const e = text[i + 1];
      const simple = e === undefined ? undefined : ESCAPES.get(e);
      if (simple !== undefined) {
        out += simple;
        i += 2;
      } else if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!HEX4.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
      } else fail('bad escape');
      run = i;
    }
  };
  const num = (): number => {
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    m.lastIndex = i;
    const match = m.exec(text);
    if (!match || match[0] === '-' || match[0] === '') fail('bad number');
    i += match![0].length;
    return Number(match![0]);
  };
  const value = (depth: number): Json => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = new Map<string, Json>();
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const key = str();
        if (obj.has(key)) throw new ValueError(`header has a duplicate key ${JSON.stringify(key).slice(0, 200)}`, OP_LOAD);
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        obj.set(key, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return obj;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: Json[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return arr;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return num();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

// ---- models: weights plus the config to rebuild them ------------------------------------------

/**
 * Saves a model so it can be rebuilt: its state dict plus `config` (anything JSON can hold,
 * typically the constructor's arguments) as JSON under the metadata key `'carousel'`. Load it
 * with {@link modelFromSafetensors}, passing a function that builds the model from the config.
 *
 * @example
 * const config = { inputSize: 8, hiddenSize: 32, options: { numLayers: 2 } };
 * const lstm = new LSTM(config.inputSize, config.hiddenSize, config.options);
 * const bytes = modelToSafetensors(lstm, config);
 * // later, elsewhere:
 * const again = modelFromSafetensors(bytes, (c: typeof config) => new LSTM(c.inputSize, c.hiddenSize, c.options));
 */
export function modelToSafetensors(module: Module, config: unknown, metadata: Record<string, string> = {}): Uint8Array {
  let json: string | undefined;
  try {
    json = JSON.stringify(config, (key, v) => {
      if (typeof v === 'number' && !Number.isFinite(v))
        throw new ValueError(`config value '${key}' is ${v}, which JSON cannot hold`, OP_SAVE);
      return v;
    });
  } catch (e) {
    if (e instanceof ValueError) throw e;
    throw new ValueError(`config cannot be written as JSON: ${(e as Error).message}`, OP_SAVE);
  }
  if (json === undefined) throw new ValueError(`config cannot be written as JSON (got ${typeof config})`, OP_SAVE);
  return saveSafetensors(module.stateDict(), { ...metadata, [CONFIG_KEY]: json });
}

/**
 * Rebuilds a model saved by {@link modelToSafetensors}: parses the file, calls
 * `build(config, metadata)` with the stored config, then loads the weights into the result
 * (strictly by default: missing or unexpected names throw). A file without a config throws a
 * ValueError.
 *
 * @example
 * const lstm = modelFromSafetensors(readFileSync('model.safetensors'), (c: { I: number; H: number }) => new LSTM(c.I, c.H));
 */
export function modelFromSafetensors<C, M extends Module>(
  bytes: Uint8Array | ArrayBuffer,
  build: (config: C, metadata: Record<string, string>) => M,
  opts: LoadOptions = {},
): M {
  const op = 'modelFromSafetensors';
  const { tensors, metadata } = loadSafetensors(bytes);
  try {
    const raw = metadata[CONFIG_KEY];
    if (raw === undefined)
      throw new ValueError(`the file has no '${CONFIG_KEY}' config in its metadata (was it saved with modelToSafetensors?)`, op);
    let config: C;
    try {
      config = JSON.parse(raw) as C;
    } catch {
      throw new ValueError(`the '${CONFIG_KEY}' metadata is not valid JSON`, op);
    }
    return build(config, metadata).loadStateDict(tensors, opts);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
