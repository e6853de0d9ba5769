// What the explorer and the drawing guess share: onnxruntime-web loaded from the app's own origin,
// each model's meta and graphs (studio/explorer_files.py), running a graph, painting images.

import { latentForSeed } from './seeded_latents.js';

// Errors thrown here carry the reason only; each part of the page says which part it is (problem()).

const base = (path) => new URL(path, document.baseURI).href;
let ortLoading = null;
const metas = new Map();
const sessions = new Map(); // url -> Promise<InferenceSession>, the most recently used last
const MAX_SESSIONS = 6; // two models' generator, encoder and critic: a visitor switching models keeps memory flat

export function currentModel(element) {
  return window.ganModel || element.closest('[data-model]')?.dataset.model || element.querySelector('[data-model]')?.dataset.model;
}

// -> a function that removes the listener (a panel mounted again must not leave its old one behind)
export function onModelChange(callback) {
  const listener = (event) => callback(event.detail);
  window.addEventListener('gan-model', listener);
  return () => window.removeEventListener('gan-model', listener);
}

// The server answers 503 while its first start is still fetching the runtime: wait for it (~30 s).
async function runtimeReady(folder, onWait) {
  for (let attempt = 0; attempt < 36; attempt++) {
    const answer = await fetch(folder + 'ort.wasm.min.mjs', { method: 'HEAD' }).catch(() => null);
    if (!answer || answer.status !== 503) return;
    onWait?.('The in-browser runtime is still being prepared on the server (its first start); this tab will start by itself…');
    await new Promise((ok) => setTimeout(ok, 5000));
  }
}

export async function loadRuntime(version, onWait) {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
    throw new Error('this browser has no WebAssembly');
  }
  ortLoading ??= (async () => {
    const folder = base(`explorer/runtime/${version}/`);
    await runtimeReady(folder, onWait);
    let ort;
    try {
      ort = await import(folder + 'ort.wasm.min.mjs');
    } catch (e) {
      ortLoading = null; // the server may still be fetching it: a later try can succeed
      throw new Error('its runtime could not be loaded from the server');
    }
    ort.env.wasm.numThreads = 1; // one image takes ~1 ms; threads would need cross-origin isolation for nothing
    ort.env.wasm.wasmPaths = folder;
    return ort;
  })();
  return ortLoading;
}

export async function modelMeta(key) {
  if (!metas.has(key)) {
    metas.set(key, fetch(base(`explorer/models/${encodeURIComponent(key)}.json`)).then((r) => {
      if (!r.ok) { metas.delete(key); throw new Error(`the model ${key} could not be loaded (${r.status})`); }
      return r.json();
    }));
  }
  return metas.get(key);
}

export async function session(ort, url) {
  let made = sessions.get(url);
  sessions.delete(url);
  made ??= ort.InferenceSession.create(base(url), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' })
    .catch((e) => { sessions.delete(url); throw new Error(`a model graph did not load (${e.message || e})`); });
  sessions.set(url, made);
  for (const [old, oldest] of sessions) { // the least recently used beyond the bound give their memory back
    if (sessions.size <= MAX_SESSIONS) break;
    sessions.delete(old);
    oldest.then((s) => s.release()).catch(() => {});
  }
  return made;
}

// One sentence for whatever went wrong, named by the part of the page it happened in.
export function problem(part, error, rest) {
  const why = String(error?.message || error || 'an unknown error').replace(/[.\s]+$/, '');
  return `${part} cannot run here: ${why}. ${rest}`;
}

export function sessionCount() {
  return sessions.size;
}

export function seedLatent(meta, seed) {
  return latentForSeed(seed, meta.latent_dim);
}

// A self-conditioned model's latent put into `mode` (SelfConditioned.in_mode): z[0] = r |z[1:]| / sqrt(1 - r^2).
export function inMode(meta, z, mode) {
  if (mode == null || !meta.modes.length) return z;
  let rest = 0;
  for (let i = 1; i < z.length; i++) rest += z[i] * z[i];
  const r = meta.modes[mode].ratio;
  const out = Float32Array.from(z);
  out[0] = (r * Math.sqrt(rest)) / Math.sqrt(1 - r * r);
  return out;
}

export function oneHot(k, index) {
  const v = new Float32Array(k);
  if (index != null) v[index] = 1;
  return v;
}

// rows (Float32Arrays of `width` values) as one [rows, ...shape] float32 tensor
function batch(ort, rows, width, shape = [width]) {
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, i) => data.set(row, i * width));
  return new ort.Tensor('float32', data, [rows.length, ...shape]);
}

// latents: array of Float32Array; labels: array of Float32Array class weights (conditional models).
export async function generate(ort, meta, latents, labels) {
  const g = await session(ort, meta.generator_url);
  const k = meta.classes.length;
  const feeds = { z: batch(ort, latents, meta.latent_dim) };
  if (k) feeds.labels = batch(ort, labels, k);
  const out = await g.run(feeds);
  return out.images.data; // n * pictureSize(meta) floats in meta.output_range, channels first
}

// [channels, height, width] of the model's pictures (checkpoints before colour: 1 x 28 x 28)
export function shapeOf(meta) {
  return meta.image_shape || [1, 28, 28];
}

export function pictureSize(meta) {
  const [c, h, w] = shapeOf(meta);
  return c * h * w;
}

// pictures: arrays of pictureSize(meta) floats in meta.output_range; labels as for generate. -> n * latent_dim floats
export async function encode(ort, meta, pictures, labels) {
  const e = await session(ort, meta.encoder_url);
  const k = meta.classes.length;
  const feeds = { pictures: batch(ort, pictures, pictureSize(meta), shapeOf(meta)) };
  if (k) feeds.labels = batch(ort, labels, k);
  return (await e.run(feeds)).z.data;
}

// pictures: arrays of pictureSize(meta) floats in [-1, 1]; labels as for generate (a conditional critic). -> n logits
export async function judge(ort, meta, pictures, labels) {
  const c = await session(ort, meta.critic_url);
  const feeds = { pictures: batch(ort, pictures, pictureSize(meta), shapeOf(meta)) };
  if (labels) feeds.labels = batch(ort, labels, labels[0].length);
  return (await c.run(feeds)).logits.data;
}

// gan/judging/verdict.py percentile: % of the tabled pictures scoring below value
export function percentile(table, value) {
  if (value <= table[0]) return 0;
  if (value >= table[table.length - 1]) return 100;
  let i = 1;
  while (table[i] <= value) i++;
  const lo = table[i - 1], hi = table[i];
  const frac = hi === lo ? 0.5 : (value - lo) / (hi - lo);
  return ((i - 1 + frac) / (table.length - 1)) * 100;
}

// Images as the server's to_uint8 makes them: ((x - lo) / (hi - lo)) clamped to [0, 1], * 255, rounded.
export function toBytes(meta, images) {
  const [lo, hi] = meta.output_range;
  const out = new Uint8ClampedArray(images.length);
  for (let i = 0; i < images.length; i++) {
    out[i] = Math.round(Math.min(1, Math.max(0, (images[i] - lo) / (hi - lo))) * 255);
  }
  return out;
}

// Paint pictures of `shape` ([channels, height, width]; channels first, 1 grey or 3 RGB, as the
// graphs give them) into `canvas` as a grid of `columns` (the canvas is sized for `total` tiles; CSS
// scales it): the images fill tiles first, first + 1, ... (a grid may be painted a row at a time).
export function paint(canvas, bytes, columns = 1, first = 0, total = null, shape = [1, 28, 28]) {
  const [c, h, w] = shape, plane = h * w, size = c * plane;
  const n = bytes.length / size, rows = Math.ceil((total ?? n) / columns);
  if (canvas.width !== columns * w || canvas.height !== rows * h) {
    canvas.width = columns * w;
    canvas.height = rows * h;
  }
  const ctx = canvas.getContext('2d');
  const green = c === 3 ? plane : 0, blue = c === 3 ? 2 * plane : 0;
  for (let t = 0; t < n; t++) {
    const tile = ctx.createImageData(w, h), at = t * size;
    for (let i = 0; i < plane; i++) {
      tile.data[4 * i] = bytes[at + i];
      tile.data[4 * i + 1] = bytes[at + green + i];
      tile.data[4 * i + 2] = bytes[at + blue + i];
      tile.data[4 * i + 3] = 255;
    }
    ctx.putImageData(tile, ((first + t) % columns) * w, Math.floor((first + t) / columns) * h);
  }
}

export function formatLatent(z) {
  return Array.from(z, (v) => v.toFixed(4)).join(', ');
}

export function parseLatent(text, dim) {
  const parts = String(text || '').replace(/,/g, ' ').trim().split(/\s+/).filter(Boolean);
  if (parts.length !== dim) throw new Error(`a latent of this model has ${dim} numbers; got ${parts.length}`);
  const z = Float32Array.from(parts, Number);
  if (z.some((v) => !Number.isFinite(v))) throw new Error('the latent holds something that is not a number');
  return z;
}
