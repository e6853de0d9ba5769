// Your drawing, live: after every change to the sketchpad the model's encoder guesses the latent in
// the browser, the generator draws it, and the critic says how real the drawing looks, so the visitor
// sees what the model makes of the drawing as it grows; "Find in model" still refines on the server.
//
// What is guessed is what the sketchpad holds: after every change (a stroke, undo, erase) Gradio's
// editor composites its layers and sends that PNG to the server (the `composite` blob of its
// accept_blobs call), the very picture "Find in model" reads. The guess takes the same PNG, so it
// follows undo, erase and the drawing area by construction; the sketchpad's own clear event resets
// it (wired in studio/ui/drawing_tab.py). The PNG is made 28x28 by the model's picture rule
// (picture_rule.js, the port of gan/data/pictures.py, its constants from the model's meta).

import * as rt from './gan_runtime.js';
import { prepare } from './picture_rule.js';

const SKETCHPAD = 'drawing-canvas';
const KEPT_TIMINGS = 50;

// The sketchpad's composites, as the editor sends them: one fetch wrapper for the page's lifetime,
// which only looks at the request and never changes or delays it.
let onComposite = null;

function sketchpadId() {
  return (window.gradio_config?.components || []).find((c) => c.props?.elem_id === SKETCHPAD)?.id;
}

function watchSketchpad() {
  if (window.ganSketchpadWatched) return;
  window.ganSketchpadWatched = true;
  const send = window.fetch;
  window.fetch = function (url, init) {
    try {
      const body = init?.body;
      if (body instanceof FormData && body.get('fn_name') === 'accept_blobs' && body.get('type') === 'composite'
          && String(body.get('component_id')) === String(sketchpadId())) onComposite?.(body.get('file'));
    } catch (e) { /* never in the way of the page's own request */ }
    return send.apply(this, arguments);
  };
}

async function pixelsOf(blob) {
  const bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { rgba: ctx.getImageData(0, 0, canvas.width, canvas.height).data, width: canvas.width, height: canvas.height };
}

class DrawingGuess {
  constructor(element, version) {
    this.root = element;
    this.version = version;
    this.stats = [];
    this.guesses = 0;
    this.turn = 0; // each new picture or model takes a new turn; an older turn's answer is dropped
    element.innerHTML = `<div class="dg-box" style="display:flex;flex-direction:column;gap:8px">
      <canvas class="dg-image" width="28" height="28" style="width:112px;height:112px;image-rendering:pixelated;background:#000"></canvas>
      <div><strong>Live guess</strong> (in your browser after every change: the encoder's first guess, before any
      optimisation)<div class="dg-status" role="status">Draw on the canvas.</div>
      <div class="dg-critic" role="status"></div></div></div>`;
    this.$ = (selector) => element.querySelector(selector);
  }

  status(text, problem = false) {
    const s = this.$('.dg-status');
    s.textContent = text;
    s.style.color = problem ? '#b91c1c' : '';
    if (problem) this.root.dataset.state = 'unavailable';
  }

  failed(error) {
    this.status(rt.problem('The live guess', error, '"Find in model" still works.'), true);
  }

  async load(key) {
    const turn = ++this.turn;
    this.meta = null;
    try {
      this.ort = await rt.loadRuntime(this.version, (text) => this.status(text));
      const meta = await rt.modelMeta(key);
      if (turn !== this.turn) return;
      if (!meta.encoder_url) { this.status(`${meta.label} has no encoder: "Find in model" still works.`); return; }
      if (rt.pictureSize(meta) !== 784) { // the sketchpad draws grey 28 px digits and clothes
        const [c, h, w] = rt.shapeOf(meta);
        this.status(`${meta.label} draws ${c === 3 ? 'colour ' : ''}${h}×${w} pictures, not sketches: upload one and press "Find in model".`);
        return;
      }
      await Promise.all([meta.generator_url, meta.encoder_url, meta.critic_url].filter(Boolean).map((url) => rt.session(this.ort, url)));
      if (turn !== this.turn) return;
      this.meta = meta;
      this.root.dataset.state = 'ready';
      this.schedule();
    } catch (e) {
      if (turn === this.turn) this.failed(e);
    }
  }

  // the sketchpad was cleared: nothing to guess
  clear() {
    this.turn++;
    this.picture = null;
    this.input = null;
    this.show(null);
  }

  show(bytes, text = 'Draw on the canvas.', critic = '') {
    rt.paint(this.$('.dg-image'), bytes || new Uint8ClampedArray(784));
    this.$('.dg-status').textContent = text;
    this.$('.dg-critic').textContent = critic;
  }

  async received(blob) {
    const turn = ++this.turn;
    try {
      const picture = await pixelsOf(blob);
      if (turn !== this.turn) return; // a newer picture arrived while this one was decoded
      this.picture = picture;
      this.schedule();
    } catch (e) {
      if (turn === this.turn) this.failed(e);
    }
  }

  // One guess at a time (a graph runs one call at a time); pictures that arrive meanwhile coalesce
  // into one more guess of the newest.
  schedule() {
    this.wanted = true;
    if (!this.running) this.drain();
  }

  async drain() {
    this.running = true;
    try {
      while (this.wanted) {
        this.wanted = false;
        await this.guess(this.picture, this.turn);
      }
    } catch (e) {
      this.failed(e);
    } finally {
      this.running = false;
    }
  }

  async guess(picture, turn = this.turn) {
    const meta = this.meta;
    if (!meta || !picture) return;
    const t0 = performance.now();
    const input = prepare(picture.rgba, picture.width, picture.height, meta.picture_rule);
    this.input = input; // what the encoder sees: the same bytes "Find in model" prepares
    if (!input) { this.show(null); this.guesses++; return; }
    const [lo, hi] = meta.output_range;
    const k = meta.classes.length, m = meta.modes.length, candidates = Math.max(1, k || m);
    const x = Float32Array.from(input, (v) => lo + (v / 255) * (hi - lo)); // the model's output range
    const labels = Array.from({ length: candidates }, (_, c) => rt.oneHot(k, c));
    const z = await rt.encode(this.ort, meta, labels.map(() => x), labels);
    const d = meta.latent_dim;
    // one start per class (conditional) or per mode (self-conditioned), the closest in pixels wins, as on the server
    const latents = Array.from({ length: candidates }, (_, c) => rt.inMode(meta, z.slice(c * d, (c + 1) * d), m ? c : null));
    const images = await rt.generate(this.ort, meta, latents, labels);
    let best = 0, bestDistance = Infinity;
    for (let c = 0; c < candidates; c++) {
      let distance = 0;
      for (let i = 0; i < 784; i++) distance += Math.abs(images[c * 784 + i] - x[i]);
      if (distance < bestDistance) { bestDistance = distance; best = c; }
    }
    const verdict = await this.judge(input, k ? labels[best] : null);
    if (turn !== this.turn) return; // a newer picture or model has taken over
    const what = k ? `class '${meta.classes[best]}'` : (m ? meta.modes[best].name : 'the closest image');
    const ms = performance.now() - t0;
    this.show(rt.toBytes(meta, images.slice(best * 784, (best + 1) * 784)),
      `${what}, mean pixel difference ${(bestDistance / 784 / (hi - lo)).toFixed(3)}; ${ms.toFixed(0)} ms in your browser`, verdict);
    this.stats.push(ms);
    if (this.stats.length > KEPT_TIMINGS) this.stats.shift();
    this.guesses++;
    this.root.dispatchEvent(new CustomEvent('gan-guessed', { detail: { guesses: this.guesses } }));
  }

  // the critic's verdict on the drawing itself (with the guessed class), as the server's /critic words it
  async judge(input, label) {
    const meta = this.meta;
    if (!meta.critic_url) return 'This model has no critic yet.';
    const logit = (await rt.judge(this.ort, meta, [Float32Array.from(input, (v) => (v / 255) * 2 - 1)], label ? [label] : null))[0];
    this.logit = logit;
    const real = rt.percentile(meta.critic.real_quantiles, logit), made = rt.percentile(meta.critic.generated_quantiles, logit);
    return `The critic scores your drawing above ${real.toFixed(0)}% of real test pictures and above ${made.toFixed(0)}% of the generator's own samples.`;
  }

  dispose() {
    this.turn++;
    this.unsubscribe?.();
    if (onComposite === this.onComposite) onComposite = null;
  }
}

export function mount(element, version) {
  if (element.dataset.mounted) return element.guess;
  element.dataset.mounted = '1';
  const model = rt.currentModel(element); // before the markup below replaces the template
  window.ganDrawingGuess?.dispose(); // a panel mounted again replaces the old one, listeners and all
  const guess = new DrawingGuess(element, version);
  element.guess = guess;
  window.ganDrawingGuess = guess;
  watchSketchpad();
  guess.onComposite = onComposite = (blob) => guess.received(blob);
  guess.unsubscribe = rt.onModelChange((key) => guess.load(key));
  guess.load(model);
  return guess;
}
