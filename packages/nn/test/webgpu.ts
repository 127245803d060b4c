// The nn suites open WebGPU as the autograd suite does: setup.ts points the Vulkan loader at
// SwiftShader when no driver is configured, and webgpuAvailable fails in CI (`CI` set) when there
// is no adapter, rather than skipping, and locally skips with the reason printed.
import '../../autograd/test/webgpu/setup.js';

export { webgpuAvailable } from '../../autograd/test/webgpu/harness.js';
