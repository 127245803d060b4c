// What f16 storage adds to the WebGPU backend, checked bit for bit: the kernels' f32→f16 rounding
// (h16_) against the host converter (itself checked against an exact reference in half.test.ts),
// loads of every half, correctly rounded arithmetic, uploads and reads of odd sizes, memory() at
// half the bytes, casts and fills, one instance per precision and the error for mixing them.
import './f16.js';
import { describe, expect, it } from 'vitest';
import { activeBackend } from '../../src/backends/backend.js';
import { sizeClass } from '../../src/backends/webgpu/buffers.js';
import { fromHalfBits, H16_WGSL, roundHalf, toHalfBits } from '../../src/backends/webgpu/half.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';
import { BackendError, full, getBackend, memory, setBackend, type Tensor, tensor, tidy, zeros } from '../../src/index.js';
import { f16Available } from './f16.js';
import { useWebGPU, values } from './harness.js';

const available = await f16Available();

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const floatOf = (bits: number) => {
  u32[0] = bits;
  return f32[0]!;
};
const bitsOf = (x: number) => {
  f32[0] = x;
  return u32[0]!;
};
/** Deterministic u32s (an LCG: only needs to be spread). */
const randomBits = (n: number, seed: number) => {
  const out = new Uint32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) out[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return out;
};

/** Runs h16_ on the device over float32 bit patterns, returning the halves' bits. */
async function h16OnDevice(device: GPUDevice, input: Uint32Array): Promise<Uint16Array> {
  const code = `enable f16;
${H16_WGSL}
@group(0) @binding(0) var<storage, read> X: array<u32>;
@group(0) @binding(1) var<storage, read_write> Y: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x >= arrayLength(&X)) { return; }
  Y[g.x] = bitcast<u32>(vec2<f16>(h16_(bitcast<f32>(X[g.x])), f16(0.0)));
}`;
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
  });
  const bytes = input.byteLength;
  const x = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const y = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(x, 0, input as Uint32Array<ArrayBuffer>);
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: x } },
      { binding: 1, resource: { buffer: y } },
    ],
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil(input.length / 64));
  pass.end();
  enc.copyBufferToBuffer(y, 0, read, 0, bytes);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const out = Uint16Array.from(new Uint32Array(read.getMappedRange().slice(0)));
  read.unmap();
  for (const b of [x, y, read]) b.destroy();
  return out;
}

/** Every float32 around every half: the half, the midpoint to the next (a tie), and one float32 ulp either side of it. */
function aroundEveryHalf(): Uint32Array {
  const out: number[] = [];
  for (let h = 0; h < 0x7c00; h++) {
    const mid = bitsOf((fromHalfBits(h) + fromHalfBits(h + 1)) / 2); // exact: 12 significant bits
    for (const bits of [bitsOf(fromHalfBits(h)), mid, mid - 1, mid + 1]) out.push(bits, (bits | 0x80000000) >>> 0);
  }
  return Uint32Array.from(out);
}

const SPECIALS = [
  0,
  0x80000000,
  0x7f800000,
  0xff800000,
  0x7fc00000,
  0xffc00000,
  0x7f800001,
  0x7fbfffff,
  0x00000001,
  0x007fffff,
  0x7f7fffff,
  0xff7fffff,
  bitsOf(65504),
  bitsOf(65519.99),
  bitsOf(65520),
  bitsOf(-65520),
  bitsOf(2 ** -25),
  bitsOf(3 * 2 ** -25),
  bitsOf(2 ** -26),
];

/** A float32 tensor of `v` on the active backend. */
const f = (v: ArrayLike<number>): Tensor => tensor(Float32Array.from(v));

describe.skipIf(!available)('webgpu-f16 kernels, bit for bit', () => {
  useWebGPU({ f16: true });

  it('rounds in kernels (h16_) exactly as the host converter: around every half, specials, and 2¹⁸ random float32s', async () => {
    const backend = activeBackend() as WebGPUBackend;
    expect(backend.f16).toBe(true);
    const input = Uint32Array.from([...aroundEveryHalf(), ...SPECIALS, ...randomBits(2 ** 18, 9)]);
    const got = await h16OnDevice(backend.device, input);
    const bad: string[] = [];
    for (let i = 0; i < input.length; i++) {
      const x = floatOf(input[i]!);
      const want = toHalfBits(x);
      const ok = Number.isNaN(x)
        ? Number.isNaN(fromHalfBits(got[i]!)) && (got[i]! & 0x8000) === ((input[i]! >>> 16) & 0x8000)
        : got[i] === want;
      if (!ok) bad.push(`0x${input[i]!.toString(16)} (${x}): GPU 0x${got[i]!.toString(16)}, host 0x${want.toString(16)}`);
    }
    expect(bad.slice(0, 8), `${bad.length} of ${input.length} differ`).toEqual([]);
  });

  it('loads and stores every one of the 65536 halves unchanged (subnormals, ±0, ±Inf, NaN)', async () => {
    const all = Array.from({ length: 65536 }, (_, h) => fromHalfBits(h));
    const outs = tidy(() => [f(all).mul(1), f(all).neg()]);
    const times1 = (await outs[0]!.data()) as Float32Array;
    const neg = (await outs[1]!.data()) as Float32Array;
    for (let h = 0; h < 65536; h++) {
      const v = all[h]!;
      if (Number.isNaN(v)) {
        if (!Number.isNaN(times1[h]!) || !Number.isNaN(neg[h]!)) throw new Error(`0x${h.toString(16)}: NaN lost`);
      } else if (!Object.is(times1[h], v) || !Object.is(neg[h], -v)) {
        throw new Error(`0x${h.toString(16)} = ${v}: ·1 gave ${times1[h]}, neg ${neg[h]}`);
      }
    }
  });

  it('rounds products of halves correctly (exact in f32, then one rounding): ties, subnormals, overflow', async () => {
    // random finite halves, and the same times powers of two (ties and subnormal results are frequent)
    const bits = randomBits(2 * 65536, 3);
    const finite = (b: number) => {
      const v = fromHalfBits(b & 0xffff);
      return Number.isFinite(v) ? v : 1;
    };
    const a = Array.from({ length: 65536 }, (_, i) => finite(bits[2 * i]!));
    const b = Array.from({ length: 65536 }, (_, i) => (i % 2 ? finite(bits[2 * i + 1]!) : 2 ** ((bits[2 * i + 1]! % 40) - 25)));
    const got = await tidy(() => f(a).mul(f(b))).data();
    for (let i = 0; i < a.length; i++) {
      const want = roundHalf(a[i]! * b[i]!);
      if (!Object.is(got[i], want)) throw new Error(`${a[i]} · ${b[i]}: GPU ${got[i]}, want ${want}`);
    }
  });

  it('uploads and reads odd sizes (whole-word copies), and fills them', async () => {
    for (const n of [1, 2, 3, 5, 7, 9, 4097]) {
      const v = values(n, n, -100, 100);
      const t = f(v);
      const got = await t.data();
      expect(Array.from(got)).toEqual(v.map(roundHalf));
      // a slice read back: its own (odd) buffer, after a kernel wrote it
      if (n > 2) expect(Array.from(await t.slice([[1, n - 1]]).data())).toEqual(v.slice(1, n - 1).map(roundHalf));
      expect(Array.from(await full([n], -0.1).data())).toEqual(new Array(n).fill(roundHalf(-0.1)));
      t.dispose();
    }
    // fills and copies of an odd run of halves leave the neighbouring halves (same 4-byte word) alone
    const backend = activeBackend();
    const x = f([1, 2, 3, 4, 5, 6]);
    backend.fill(x.storage.buf, 'float32', 3, 7);
    expect(Array.from(await x.data())).toEqual([7, 7, 7, 4, 5, 6]);
    const src = f([-1, -2, -3]);
    backend.copy(
      { buf: src.storage.buf, shape: [3], strides: [1], offset: 0 },
      { buf: x.storage.buf, shape: [3], strides: [1], offset: 1 },
      'float32',
    );
    expect(Array.from(await x.data())).toEqual([7, -1, -2, -3, 5, 6]);
    x.dispose();
    src.dispose();
  });

  it('casts: int32 → float32 rounds to half (overflow to Inf), float32 → int32 and bool from halves', async () => {
    const ints = [0, 1, -1, 2047, 2048, 2049, 2051, 4097, 65504, 65519, 65520, -70000, 123456789];
    const [asFloat] = await Promise.all([tensor(Int32Array.from(ints), { dtype: 'int32' }).cast('float32').data()]);
    expect(Array.from(asFloat)).toEqual(ints.map(roundHalf));
    const floats = [2.7, -2.7, 0, -0, 0.4, -0.9, 1e5, Number.NaN, 1e-7, 65504];
    const x = f(floats);
    expect(Array.from(await x.cast('int32').data())).toEqual(
      floats.map((v) => (Number.isFinite(roundHalf(v)) ? Math.trunc(roundHalf(v)) | 0 : 0)),
    );
    expect(Array.from(await x.cast('bool').data())).toEqual(floats.map((v) => (roundHalf(v) !== 0 && !Number.isNaN(v) ? 1 : 0)));
  });

  it('memory() reports half the bytes for float32 tensors (int32 and bool unchanged)', async () => {
    const bytesOf = async (options: { f16?: boolean }, make: () => Tensor): Promise<number> => {
      await setBackend('webgpu', options);
      const name = getBackend();
      const before = memory().bytesByBackend[name] ?? 0;
      const t = make();
      const bytes = (memory().bytesByBackend[name] ?? 0) - before;
      t.dispose();
      return bytes;
    };
    for (const n of [100, 1000, 4097, 12345, 2 ** 20]) {
      const half = await bytesOf({ f16: true }, () => zeros([n]));
      const single = await bytesOf({}, () => zeros([n]));
      expect(half).toBe(sizeClass(Math.ceil((2 * n) / 4) * 4));
      expect(single).toBe(sizeClass(4 * n));
      expect(2 * half).toBe(single);
      expect(await bytesOf({ f16: true }, () => zeros([n], { dtype: 'int32' }))).toBe(single);
      expect(await bytesOf({ f16: true }, () => zeros([n], { dtype: 'bool' }))).toBe(single);
    }
  });

  it('is its own backend instance, webgpu-f16: ops mixing it with webgpu throw a named BackendError', async () => {
    await setBackend('webgpu', { f16: true });
    const h = zeros([3]);
    const first = activeBackend();
    expect([getBackend(), h.backend, h.dtype]).toEqual(['webgpu-f16', 'webgpu-f16', 'float32']);
    await setBackend('webgpu', { f16: false });
    const s = zeros([3]);
    expect([getBackend(), s.backend]).toEqual(['webgpu', 'webgpu']);
    await setBackend('webgpu', { f16: true });
    expect(activeBackend()).toBe(first); // made once
    expect(() => h.add(s)).toThrow(BackendError);
    expect(() => h.add(s)).toThrow(/^add: inputs live on different backends \(webgpu-f16 and webgpu\)/);
    expect(() => h.assign(s)).toThrow(/cannot assign across backends \(webgpu → webgpu-f16\)/);
    h.dispose();
    s.dispose();
  });
});
