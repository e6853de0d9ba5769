// Your drawing, live: after every stroke the model's encoder guesses the latent in the browser and
// the generator draws it, so the visitor sees what the model makes of the drawing as it grows;
// "Find in model" still refines on the server. The strokes are recorded from the pointer events on
// Gradio's sketchpad and replayed onto a canvas of our own (its drawing surface is WebGL, whose
// pixels cannot be read back reliably), then made 28x28 as gan/data/pictures.py mnist_style does
// (ink box, scaled to 20 px and centred on its centre of mass for digits, 28 px and centred for clothes).

import * as rt from './gan_runtime.js';

const SIZE = 280; // the sketchpad's canvas (studio/ui/drawing_tab.py canvas_size)
const BRUSH = 12;

function inkBox(grey, n) {
  let top = n, bottom = -1, left = n, right = -1, most = 0;
  for (let i = 0; i < n * n; i++) most = Math.max(most, grey[i]);
  if (most < 0.05) return null;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (grey[y * n + x] > 0.1 * most) { top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x); }
    }
  }
  return bottom < 0 ? null : { top, bottom: bottom + 1, left, right: right + 1 };
}

// strokes canvas (white ink on black) -> 28x28 floats in [0, 1]
export function mnistStyle(source, dataset) {
  const ctx = source.getContext('2d', { willReadFrequently: true });
  const rgba = ctx.getImageData(0, 0, SIZE, SIZE).data;
  const grey = new Float32Array(SIZE * SIZE);
  for (let i = 0; i < grey.length; i++) grey[i] = rgba[i * 4] / 255;
  const box = inkBox(grey, SIZE);
  if (!box) return null;
  const h = box.bottom - box.top, w = box.right - box.left;
  const longest = dataset === 'fashion' ? 28 : 20;
  const scale = longest / Math.max(h, w);
  const pw = Math.max(1, Math.round(w * scale)), ph = Math.max(1, Math.round(h * scale));
  const patch = document.createElement('canvas');
  patch.width = pw; patch.height = ph;
  const pctx = patch.getContext('2d', { willReadFrequently: true });
  pctx.imageSmoothingQuality = 'high';
  pctx.drawImage(source, box.left, box.top, w, h, 0, 0, pw, ph);
  const small = pctx.getImageData(0, 0, pw, ph).data;
  const values = new Float32Array(pw * ph);
  let mass = 0, cy = 0, cx = 0;
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const v = small[(y * pw + x) * 4] / 255;
      values[y * pw + x] = v; mass += v; cy += y * v; cx += x * v;
    }
  }
  const centre = dataset === 'fashion' || !mass ? [ph / 2, pw / 2] : [cy / mass, cx / mass];
  const top = Math.round(14 - centre[0]), left = Math.round(14 - centre[1]);
  const out = new Float32Array(784);
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const r = top + y, c = left + x;
      if (r >= 0 && r < 28 && c >= 0 && c < 28) out[r * 28 + c] = values[y * pw + x];
    }
  }
  return out;
}

class DrawingGuess {
  constructor(element, version) {
    this.root = element;
    this.version = version;
    this.strokes = [];
    this.stats = [];
    element.innerHTML = `<div class="dg-box" style="display:flex;gap:12px;align-items:center;margin-top:8px">
      <canvas class="dg-image" width="28" height="28" style="width:112px;height:112px;image-rendering:pixelated;background:#000"></canvas>
      <div><strong>Live guess</strong> (computed in your browser after every stroke: the encoder's first guess, before any
      optimisation)<div class="dg-status" role="status">Draw on the canvas above.</div></div></div>`;
    this.$ = (selector) => element.querySelector(selector);
    this.shadow = document.createElement('canvas');
    this.shadow.width = this.shadow.height = SIZE;
    this.attach();
  }

  status(text, problem = false) {
    const s = this.$('.dg-status');
    s.textContent = text;
    s.style.color = problem ? '#b91c1c' : '';
    this.root.dataset.state = problem ? 'unavailable' : this.root.dataset.state;
  }

  async load(key) {
    this.meta = null;
    try {
      this.ort = await rt.loadRuntime(this.version, (text) => this.status(text));
      const meta = await rt.modelMeta(key);
      if (!meta.encoder_url) { this.status(`${meta.label} has no encoder: "Find in model" still works.`); return; }
      await Promise.all([rt.session(this.ort, meta.generator_url), rt.session(this.ort, meta.encoder_url)]);
      this.meta = meta;
      this.root.dataset.state = 'ready';
      this.guess();
    } catch (e) {
      this.status(e instanceof rt.Unavailable ? e.message : `${rt.UNAVAILABLE}: ${e.message || e}`, true);
    }
  }

  // Gradio's sketchpad: its drawing canvas is the largest canvas inside #drawing-canvas
  surface() {
    const canvases = [...document.querySelectorAll('#drawing-canvas canvas')];
    return canvases.sort((a, b) => b.clientWidth * b.clientHeight - a.clientWidth * a.clientHeight)[0];
  }

  attach() {
    const point = (event) => {
      const box = this.surface().getBoundingClientRect();
      return [((event.clientX - box.left) / box.width) * SIZE, ((event.clientY - box.top) / box.height) * SIZE];
    };
    const inside = (event) => {
      const s = this.surface();
      if (!s) return false;
      const box = s.getBoundingClientRect();
      return event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    };
    document.addEventListener('pointerdown', (event) => {
      if (!event.target.closest || !event.target.closest('#drawing-canvas') || !inside(event)) return;
      this.current = [point(event)];
      this.strokes.push(this.current);
    }, true);
    document.addEventListener('pointermove', (event) => { if (this.current) this.current.push(point(event)); }, true);
    document.addEventListener('pointerup', () => {
      if (!this.current) return;
      this.current = null;
      this.guess();
    }, true);
    document.addEventListener('click', (event) => { // the sketchpad's own clear and undo
      const button = event.target.closest && event.target.closest('#drawing-canvas button');
      const name = button ? (button.getAttribute('aria-label') || button.title || '').toLowerCase() : '';
      if (name.includes('clear')) this.strokes = [];
      else if (name.includes('undo')) this.strokes.pop();
      else return;
      this.guess();
    }, true);
  }

  replay() {
    const ctx = this.shadow.getContext('2d', { willReadFrequently: true });
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIZE, SIZE);
    ctx.strokeStyle = ctx.fillStyle = '#fff';
    ctx.lineWidth = BRUSH;
    ctx.lineCap = ctx.lineJoin = 'round';
    for (const stroke of this.strokes) {
      ctx.beginPath();
      ctx.moveTo(...stroke[0]);
      if (stroke.length === 1) ctx.arc(stroke[0][0], stroke[0][1], BRUSH / 2, 0, 2 * Math.PI);
      for (const p of stroke.slice(1)) ctx.lineTo(...p);
      stroke.length === 1 ? ctx.fill() : ctx.stroke();
    }
  }

  async guess() {
    if (!this.meta) return;
    this.replay();
    const picture = mnistStyle(this.shadow, this.meta.dataset);
    if (!picture) { rt.paint(this.$('.dg-image'), new Uint8ClampedArray(784)); this.status('Draw on the canvas above.'); return; }
    const t0 = performance.now();
    const meta = this.meta, [lo, hi] = meta.output_range;
    const k = meta.classes.length, m = meta.modes.length, candidates = Math.max(1, k || m);
    const x = picture.map((v) => lo + v * (hi - lo)); // the model's output range
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
    const bytes = rt.toBytes(meta, images.slice(best * 784, (best + 1) * 784));
    rt.paint(this.$('.dg-image'), bytes);
    this.stats.push(performance.now() - t0);
    this.guesses = (this.guesses || 0) + 1;
    const what = k ? `class '${meta.classes[best]}'` : (m ? meta.modes[best].name : 'the closest image');
    this.status(`${what}, mean pixel difference ${(bestDistance / 784 / (hi - lo)).toFixed(3)}; ${(performance.now() - t0).toFixed(0)} ms in your browser`);
    this.root.dispatchEvent(new CustomEvent('gan-guessed', { detail: { guesses: this.guesses } }));
  }
}

export function mount(element, version) {
  if (element.dataset.mounted) return element.guess;
  element.dataset.mounted = '1';
  const model = rt.currentModel(element); // before the markup below replaces the template
  const guess = new DrawingGuess(element, version);
  element.guess = guess;
  window.ganDrawingGuess = guess;
  guess.load(model);
  rt.onModelChange((key) => guess.load(key));
  return guess;
}
