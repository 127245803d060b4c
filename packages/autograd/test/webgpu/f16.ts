// The f16 suites' driver and backend. Import this module FIRST in an f16 test file, before anything
// that may open WebGPU: it points the Vulkan loader at a driver with 'shader-f16' for this test file
// (vitest runs each file in its own process, and Dawn reads VK_ICD_FILENAMES when it starts).
//
// The rest of the WebGPU suite runs on SwiftShader (setup.ts), which has no shader-f16; lavapipe
// (Mesa 25) has it. `scripts/lavapipe.sh` fetches it into .cache/lavapipe; CAROUSEL_F16_ICD names
// another ICD file, or none exists and the environment's own VK_ICD_FILENAMES (a GPU's driver) is
// used. Without an f16 adapter the f16 suites are skipped with the reason, or fail when
// CAROUSEL_REQUIRE_F16=1 (.ci/run sets it: CI must not pass without running them). Suites then
// open the backend with harness.ts's `useWebGPU({ f16: true })`.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend } from '../../src/index.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
/** The ICD file of a driver with shader-f16, when one is known. */
export const F16_ICD = process.env.CAROUSEL_F16_ICD || join(REPO, '.cache/lavapipe/lvp_icd.json');

if ((globalThis as Record<symbol, unknown>)[Symbol.for('carousel.webgpu.gpu')]) {
  throw new Error('f16.ts: WebGPU was opened before the f16 driver was chosen; import test/webgpu/f16.ts first');
}
if (existsSync(F16_ICD)) process.env.VK_ICD_FILENAMES = F16_ICD;
else if (process.env.CAROUSEL_F16_ICD) throw new Error(`CAROUSEL_F16_ICD=${F16_ICD} does not exist`);

/**
 * Opens the f16 backend once: true when it works. Without an f16 adapter this throws when
 * CAROUSEL_REQUIRE_F16 is set, and otherwise prints why and returns false (the suite is skipped).
 */
export async function f16Available(): Promise<boolean> {
  try {
    await setBackend('webgpu', { f16: true });
    return true;
  } catch (e) {
    const hint = existsSync(F16_ICD) ? `(driver: ${F16_ICD})` : '(run scripts/lavapipe.sh to fetch a driver with shader-f16)';
    if (process.env.CAROUSEL_REQUIRE_F16) throw new Error(`CAROUSEL_REQUIRE_F16 is set but ${(e as Error).message} ${hint}`);
    console.warn(`[webgpu f16 suite] skipped: ${(e as Error).message} ${hint}`);
    return false;
  } finally {
    await setBackend('cpu');
  }
}
