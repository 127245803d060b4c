// setBackend's options and the f16 opt-in's failure modes, on this file's default driver (no f16.ts:
// SwiftShader when setup.ts picked it) and on faked adapters (no GPU needed): unknown or mistyped
// options are ValueErrors naming what the backend takes; without 'shader-f16' the f16 backend is a
// BackendError naming the feature, the adapter and the alternative; the feature is requested only
// for f16.
import { describe, expect, it } from 'vitest';
import { activeBackend } from '../../src/backends/backend.js';
import { createWebGPUBackend } from '../../src/backends/webgpu/index.js';
import { BackendError, getBackend, registerBackend, setBackend, ValueError } from '../../src/index.js';

/** A fake `GPU` whose one adapter has `features`; `requestDevice` records its descriptor and fails. */
function fakeGpu(features: string[]) {
  const requests: GPUDeviceDescriptor[] = [];
  const adapter = {
    features: new Set(features),
    limits: { maxBufferSize: 1024, maxStorageBufferBindingSize: 1024 },
    info: { vendor: 'acme', architecture: 'toy', description: 'Fake Adapter 3000' },
    requestDevice: async (descriptor: GPUDeviceDescriptor) => {
      requests.push(descriptor);
      throw new Error('fake adapter: no device');
    },
  };
  const gpu = { requestAdapter: async () => adapter } as unknown as GPU;
  return { gpu, requests };
}

describe('setBackend options', () => {
  it('rejects unknown options, mistyped ones and options for backends that take none, naming them', async () => {
    await expect(setBackend('webgpu', { fp16: true } as never)).rejects.toThrow(ValueError);
    await expect(setBackend('webgpu', { fp16: true } as never)).rejects.toThrow(
      /^setBackend: unknown option 'fp16' for backend 'webgpu'; it takes 'f16'$/,
    );
    await expect(setBackend('webgpu', { f16: 'yes' } as never)).rejects.toThrow(/^setBackend: option 'f16' must be a boolean, got string$/);
    await expect(setBackend('cpu', { f16: true } as never)).rejects.toThrow(
      /^setBackend: unknown option 'f16' for backend 'cpu'; it takes no options$/,
    );
    await expect(setBackend('webgpu', null as never)).rejects.toThrow(/^setBackend: options must be a plain object, got null$/);
    await expect(setBackend('gpu')).rejects.toThrow(BackendError);
    await setBackend('cpu', {});
    expect(getBackend()).toBe('cpu');
  });

  it('makes each configuration once, even for concurrent first calls; a failed one is tried again', async () => {
    const cpu = activeBackend();
    let calls = 0;
    registerBackend('counting', async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (calls === 1) throw new BackendError('first try fails', 'setBackend');
      return cpu;
    });
    await expect(setBackend('counting')).rejects.toThrow('first try fails');
    await Promise.all([setBackend('counting'), setBackend('counting'), setBackend('counting')]);
    await setBackend('counting');
    expect(calls).toBe(2);
    await setBackend('cpu');
  });

  it("without 'shader-f16': a BackendError naming the feature, the adapter and plain 'webgpu' (faked adapter)", async () => {
    const { gpu, requests } = fakeGpu(['timestamp-query']);
    const error = await createWebGPUBackend({ f16: true }, gpu).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/^setBackend: WebGPU f16 storage needs the adapter feature 'shader-f16'/);
    expect((error as Error).message).toContain('acme toy Fake Adapter 3000');
    expect((error as Error).message).toContain("setBackend('webgpu')");
    expect(requests).toEqual([]); // no device was asked for
  });

  it("requests 'shader-f16' only for f16 storage (faked adapter)", async () => {
    const { gpu, requests } = fakeGpu(['shader-f16']);
    await expect(createWebGPUBackend({}, gpu)).rejects.toThrow('fake adapter: no device');
    await expect(createWebGPUBackend({ f16: true }, gpu)).rejects.toThrow('fake adapter: no device');
    expect(requests.map((r) => r.requiredFeatures)).toEqual([[], ['shader-f16']]);
  });

  // SwiftShader, the WebGPU suite's usual driver, has no shader-f16: the real adapter's error
  const swiftShader = /swiftshader/i.test(process.env.VK_ICD_FILENAMES ?? '');
  it.skipIf(!swiftShader)(
    "on SwiftShader (no 'shader-f16'): setBackend('webgpu', { f16: true }) throws, plain 'webgpu' works",
    async () => {
      await expect(setBackend('webgpu', { f16: true })).rejects.toThrow(
        /needs the adapter feature 'shader-f16', which this adapter \(.+\) does not have/,
      );
      await setBackend('webgpu');
      expect(getBackend()).toBe('webgpu');
      await setBackend('cpu');
    },
  );
});
