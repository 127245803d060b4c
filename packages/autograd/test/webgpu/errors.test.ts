// WebGPU failures surface as named errors carrying the op at fault, and leave no promise to reject
// unhandled: a dispatch that breaks WebGPU's validation rules, a kernel whose WGSL does not
// compile, and a device destroyed with a read in flight. Each test runs on a fresh backend (its
// own device), registered under its own name, so the shared 'webgpu' backend is not disturbed.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { View } from '../../src/backends/backend.js';
import { registerBackend, setBackend } from '../../src/backends/backend.js';
import { createWebGPUBackend, type WebGPUBackend } from '../../src/backends/webgpu/index.js';
import {
  BackendError,
  type Tensor,
  tensor,
  type UnaryDef,
  unaryOps,
  WebGPUDeviceLostError,
  WebGPUValidationError,
} from '../../src/index.js';
import { webgpuAvailable } from './harness.js';

const available = await webgpuAvailable();

let fresh = 0;
/** A new backend on its own device, made active. */
async function freshBackend(): Promise<WebGPUBackend> {
  const backend = await createWebGPUBackend();
  const name = `webgpu-errors-${fresh++}`;
  registerBackend(name, () => backend);
  await setBackend(name);
  return backend;
}

const view = (t: Tensor): View => ({ buf: t.storage.buf, shape: t.shape, strides: [1], offset: 0 });

describe.skipIf(!available)('webgpu errors', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await new Promise((resolve) => setTimeout(resolve, 50)); // let stray rejections surface
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
  afterAll(async () => {
    await setBackend('cpu');
  });

  it('a dispatch that breaks validation: WebGPUValidationError naming the op, thrown once, at the next read', async () => {
    const backend = await freshBackend();
    const a = tensor([1, 2, 3]);
    await backend.sync();
    // the output aliases the inputs, which WebGPU forbids (the op layer never does this)
    backend.binary('add', view(a), view(a), a.storage.buf, 'float32', [3]);
    const error = await a.data().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebGPUValidationError);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as WebGPUValidationError).op).toBe('add');
    expect((error as Error).message).toMatch(/^add: the GPU rejected kernel 'binary:add:float32:flat': .*usage/s);
    // reported once; the backend goes on working
    expect([...(await a.mul(2).data())]).toEqual([2, 4, 6]);
    a.dispose();
    backend.destroy();
  });

  it('a kernel whose WGSL does not compile: WebGPUValidationError naming the op, then at once on reuse', async () => {
    const backend = await freshBackend();
    const neg = unaryOps.neg as UnaryDef;
    const wgsl = neg.wgsl;
    neg.wgsl = '-x +'; // a syntax error, compiled on first use by this backend's empty cache
    try {
      const x = tensor([1, 2]);
      const y = x.neg();
      const error = await y.data().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebGPUValidationError);
      expect((error as WebGPUValidationError).op).toBe('neg');
      expect((error as Error).message).toMatch(/kernel 'unary:neg:float32'/);
      await backend.sync(); // the compilation report has arrived by now
      expect(() => x.neg()).toThrow(WebGPUValidationError);
      expect(() => x.neg()).toThrow(/^neg: WGSL of kernel 'unary:neg:float32' failed to compile/);
      x.dispose();
      y.dispose();
    } finally {
      neg.wgsl = wgsl;
    }
    backend.destroy();
  });

  it('a device lost with a read in flight: WebGPUDeviceLostError from the read and from every later op', async () => {
    const backend = await freshBackend();
    const a = tensor([1, 2, 3]);
    const w = tensor([[1], [2], [3]]);
    const pending = a.mul(2).data();
    backend.device.destroy();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebGPUDeviceLostError);
    expect((error as WebGPUDeviceLostError).op).toBe('read');
    expect((error as Error).message).toMatch(/device was lost \(destroyed/);
    expect(() => a.exp()).toThrow(WebGPUDeviceLostError);
    expect(() => a.exp()).toThrow(/^exp: the WebGPU device was lost/);
    expect(() => a.matmul(w)).toThrow(/^matmul: the WebGPU device was lost/);
    expect(() => tensor([4])).toThrow(/^write: the WebGPU device was lost/);
    await expect(a.data()).rejects.toThrow(WebGPUDeviceLostError);
    await expect(backend.sync()).rejects.toThrow(/^sync: the WebGPU device was lost/);
    a.dispose(); // freeing never throws
    w.dispose();
  });
});
