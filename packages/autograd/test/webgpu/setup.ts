// Vitest setup for the autograd project: lets the WebGPU suite find a Vulkan driver on machines
// without a GPU. Debian's chromium package ships SwiftShader's Vulkan ICD; point the Vulkan loader
// at it unless the environment already chose a driver. Harmless for the CPU tests. The f16 test
// files choose a driver with 'shader-f16' instead (f16.ts).
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
// Dawn prints a harmless warning to stderr when XDG_RUNTIME_DIR is unset.
if (!process.env.XDG_RUNTIME_DIR) {
  const dir = join(tmpdir(), `carousel-xdg-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}
