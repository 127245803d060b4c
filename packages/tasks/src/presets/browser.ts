import { ValueError } from '@carousel/autograd';
import { assertPretrained, createPresets, type Presets, type Pretrained, type PretrainedId, pretrainedFromSafetensors } from './index.js';

// The presets as a browser loads them. The weights files are assets: each `new URL('<literal>',
// import.meta.url)` below is what bundlers (Vite, webpack, Parcel) recognise, copy and rewrite, so
// the paths must stay literal, one per file.
const WEIGHT_URLS: Record<PretrainedId, () => URL> = {
  reber: () => new URL('./weights/reber-lstm1997.safetensors', import.meta.url),
  '3a': () => new URL('./weights/3a-lstm1997.safetensors', import.meta.url),
  '6a': () => new URL('./weights/6a-lstm1997.safetensors', import.meta.url),
};

/**
 * The shipped trained `lstm1997` of experiment `id`, fetched from the asset URL a bundler gives
 * its weights file (in Node, the main entry reads the file). The same call works in both.
 *
 * @throws ValueError (as a rejection) for an id without shipped weights or a failed request.
 */
export async function fetchPretrained(id: PretrainedId): Promise<Pretrained> {
  assertPretrained(id);
  const url = WEIGHT_URLS[id]();
  const response = await fetch(url);
  if (!response.ok) throw new ValueError(`fetching the weights of preset '${id}' from ${url} failed: HTTP ${response.status}`, 'presets');
  return pretrainedFromSafetensors(id, new Uint8Array(await response.arrayBuffer()));
}

/**
 * `presets.<id>.<model>()` in a browser: as in Node, except that `{ pretrained: true }` cannot read
 * a file synchronously here — it throws, naming `await fetchPretrained(id)`.
 */
export const presets: Presets = createPresets((id) => {
  throw new ValueError(
    `presets['${id}'].lstm1997({ pretrained: true }) reads a file, which a browser cannot do synchronously; use \`(await fetchPretrained('${id}')).net\``,
    'presets',
  );
});
