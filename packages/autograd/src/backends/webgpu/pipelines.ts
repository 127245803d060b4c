/// <reference types="@webgpu/types" />

/** A compiled compute pipeline and its bind group layout. */
export interface Kernel {
  key: string;
  /** The op it implements, for error messages (see {@link kernelOp}). */
  op: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** Access of the tensor bindings 0…n−1, e.g. `r,r,w` (bind groups are shared per signature). */
  signature: string;
  /** Set (asynchronously) when the WGSL failed to compile; dispatching it then throws. */
  error?: string;
}

/** Kernel families whose key names the op second: `unary:tanh:float32` implements `tanh`. */
const FAMILIES = new Set(['unary', 'binary', 'reduce', 'argReduce', 'fused']);

/** The op a kernel key implements: `binary:add:float32:flat` → `add`, `matmul:float32` → `matmul`. */
export function kernelOp(key: string): string {
  const [head, op] = key.split(':');
  return FAMILIES.has(head!) && op ? op : head!;
}

/** Bytes of the parameter window every kernel binds (at a dynamic offset into the arena). */
export const PARAMS_BYTES = 1024;

const COMPUTE = 0x4; // GPUShaderStage.COMPUTE

/**
 * Compiled pipelines by key: `op:dtype:shape-class` (e.g. `binary:add:float32:nd`). Compiling a
 * WGSL module costs milliseconds (up to ~150 ms on software Vulkan), so each is built once, on first
 * use. Layouts are explicit, not `auto`: the tensor bindings (read-only or writable storage, read
 * from the WGSL declarations) and, last, the `P` parameter block at a dynamic offset, so one bind
 * group serves every dispatch over the same buffers. A compile error is caught by the command
 * queue's error scope (pipelines and modules are labelled with their key, so it names the kernel);
 * the kernel also keeps it, with its source, so later dispatches of it throw at once.
 */
export class PipelineCache {
  readonly #kernels = new Map<string, Kernel>();
  readonly #layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();

  constructor(private readonly device: GPUDevice) {}

  get(key: string, source: () => string): Kernel {
    const hit = this.#kernels.get(key);
    if (hit) return hit;
    let code = source();
    // f16 is an extension: a module naming the type must enable it first (the device has it: only
    // an f16 backend, whose device was opened with 'shader-f16', generates such kernels)
    if (/\bf16\b/.test(code)) code = `enable f16;\n${code}`;
    const access: string[] = [];
    for (const m of code.matchAll(/@binding\((\d+)\) var<storage, (read|read_write)>/g)) access[Number(m[1])] = m[2] === 'read' ? 'r' : 'w';
    const signature = access.slice(0, -1).join(',');
    const layout = this.#layout(signature);
    const module = this.device.createShaderModule({ code, label: key });
    const pipeline = this.device.createComputePipeline({ layout: layout.pipeline, compute: { module, entryPoint: 'main' }, label: key });
    const kernel: Kernel = { key, op: kernelOp(key), pipeline, layout: layout.group, signature };
    module.getCompilationInfo?.().then(
      (info) => {
        const errors = info.messages.filter((m) => m.type === 'error');
        if (errors.length) {
          kernel.error = `WGSL of kernel '${key}' failed to compile:\n${errors.map((m) => `  ${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}\n${code}`;
        }
      },
      () => {}, // the device was lost: reported by the backend
    );
    this.#kernels.set(key, kernel);
    return kernel;
  }

  #layout(signature: string): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    const hit = this.#layouts.get(signature);
    if (hit) return hit;
    const tensors = signature ? signature.split(',') : [];
    const entries: GPUBindGroupLayoutEntry[] = tensors.map((a, binding) => ({
      binding,
      visibility: COMPUTE,
      buffer: { type: a === 'r' ? 'read-only-storage' : 'storage' },
    }));
    entries.push({ binding: tensors.length, visibility: COMPUTE, buffer: { type: 'read-only-storage', hasDynamicOffset: true } });
    const group = this.device.createBindGroupLayout({ entries, label: `carousel ${signature}` });
    const layout = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
    this.#layouts.set(signature, layout);
    return layout;
  }

  get size(): number {
    return this.#kernels.size;
  }
}
