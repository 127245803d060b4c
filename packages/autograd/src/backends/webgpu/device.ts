/// <reference types="@webgpu/types" />
import { BackendError } from '../../errors.js';

/** A device ready for compute, with the adapter limits it was granted. */
export interface GpuDevice {
  device: GPUDevice;
  limits: GPUSupportedLimits;
  /** A one-line description of the adapter (vendor, architecture, description), for messages. */
  description: string;
}

// The Node `GPU` object must outlive every device made from it: if it is garbage-collected while a
// device is in use, dawn.node crashes the process. It lives on globalThis, so module copies (test
// isolation, two bundles) share one and it is never collected.
const GPU_KEY = Symbol.for('carousel.webgpu.gpu');
type GlobalWithGpu = typeof globalThis & { [GPU_KEY]?: GPU };

// A variable specifier keeps bundlers from resolving the Node-only package in browser builds.
const NODE_PACKAGE = 'webgpu';

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

async function nodeGpu(): Promise<GPU> {
  const g = globalThis as GlobalWithGpu;
  if (g[GPU_KEY]) return g[GPU_KEY];
  let mod: { create: (options: string[]) => GPU; globals: object };
  try {
    mod = await import(/* @vite-ignore */ NODE_PACKAGE);
  } catch (e) {
    throw new BackendError(
      `WebGPU is not available in Node: the optional npm package 'webgpu' (Dawn for Node) could not be loaded ` +
        `(${(e as Error).message}). Install it with \`pnpm add webgpu\`, or use setBackend('cpu').`,
      'setBackend',
    );
  }
  Object.assign(globalThis, mod.globals);
  g[GPU_KEY] = mod.create([]);
  return g[GPU_KEY];
}

function noAdapterMessage(): string {
  if (!isNode) {
    return "WebGPU is not available: navigator.gpu.requestAdapter() returned null (is WebGPU enabled? Chromium needs '--enable-unsafe-webgpu' on Linux)";
  }
  const icd = process.env.VK_ICD_FILENAMES;
  return (
    'WebGPU is not available: the webgpu package loaded but found no adapter (no usable Vulkan driver). ' +
    (icd
      ? `VK_ICD_FILENAMES=${icd} did not give a working driver; check that the file exists and libvulkan1 is installed.`
      : 'Install a Vulkan driver, e.g. SwiftShader from Debian: `apt-get install -y --no-install-recommends chromium libvulkan1` ' +
        'and `export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`.') +
    " Or use setBackend('cpu')."
  );
}

/** Describes an adapter in one line (vendor, architecture, description), for messages. */
function describe(adapter: GPUAdapter): string {
  const info = adapter.info;
  return [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
}

/**
 * Finds an adapter and opens a device with the adapter's compute limits (and, for `f16`, the
 * 'shader-f16' feature, requested only then); a BackendError names what is missing. `gpu` replaces
 * `navigator.gpu` or Dawn's (tests fake adapters with it).
 */
export async function acquireDevice({ f16 = false }: { f16?: boolean } = {}, gpu?: GPU): Promise<GpuDevice> {
  if (!gpu && typeof navigator !== 'undefined' && (navigator as Navigator).gpu) gpu = (navigator as Navigator).gpu;
  else if (!gpu && isNode) gpu = await nodeGpu();
  if (!gpu) throw new BackendError('WebGPU is not available: this environment has no navigator.gpu', 'setBackend');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new BackendError(noAdapterMessage(), 'setBackend');
  const description = describe(adapter);
  if (f16 && !adapter.features.has('shader-f16')) {
    throw new BackendError(
      `WebGPU f16 storage needs the adapter feature 'shader-f16', which this adapter (${description}) does not have. ` +
        "Use setBackend('webgpu') for float32 storage on it" +
        (isNode
          ? ", or point VK_ICD_FILENAMES at a Vulkan driver that has it: a GPU's, or, without a GPU, a recent Mesa lavapipe (Mesa 25's has it; SwiftShader has none)."
          : '.'),
      'setBackend',
    );
  }
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: f16 ? ['shader-f16'] : [],
    requiredLimits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  });
  return { device, limits: device.limits, description };
}
