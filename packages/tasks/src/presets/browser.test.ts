import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Module } from '@carousel/nn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { presets as nodePresets, PRETRAINED } from '../index.js';
import { fetchPretrained, presets } from './browser.js';
import { loadPretrained } from './node.js';

const values = (net: Module) => Object.entries(net.stateDict()).map(([name, t]) => [name, [...t.dataSync()]]);

describe('presets in the browser entry', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('fetchPretrained loads every shipped net from its asset URL, identical to the file Node reads', async () => {
    const requested: string[] = [];
    // Node's fetch has no file: URLs; serve them as a browser serves the bundled assets
    vi.stubGlobal('fetch', async (url: URL) => {
      requested.push(url.pathname.split('/').at(-1)!);
      return new Response(await readFile(fileURLToPath(url)));
    });
    for (const id of PRETRAINED) {
      const { net, metadata } = await fetchPretrained(id);
      const expected = loadPretrained(id);
      expect(metadata).toEqual(expected.metadata);
      expect(values(net)).toEqual(values(expected.net));
    }
    expect(requested).toEqual(PRETRAINED.map((id) => `${id}-lstm1997.safetensors`));
  });

  it('names the failed request, and ids without weights', async () => {
    vi.stubGlobal('fetch', async () => new Response('missing', { status: 404 }));
    await expect(fetchPretrained('reber')).rejects.toThrow(
      /fetching the weights of preset 'reber' from .*reber-lstm1997\.safetensors failed: HTTP 404/,
    );
    await expect(fetchPretrained('6b' as never)).rejects.toThrow(/no trained weights ship for '6b'/);
  });

  it('builds the same random nets as Node; { pretrained: true } points to fetchPretrained', () => {
    expect(values(presets['6a'].lstm1997({ seed: 3 }))).toEqual(values(nodePresets['6a'].lstm1997({ seed: 3 })));
    expect(() => presets.reber.lstm1997({ pretrained: true })).toThrow(/use `\(await fetchPretrained\('reber'\)\)\.net`/);
    expect(() => presets['6b'].lstm1997({ pretrained: true })).toThrow(/no trained weights ship for '6b'/);
  });
});
