// Explore (runs in your browser): the sliders, a 2-D pad, a class or mode picker, a 64-seed grid and
// an interpolation animation, all drawn by onnxruntime-web in the visitor's browser: moving a
// slider sends nothing to the server. Mounted by studio/ui/explore_tab.py into a gr.HTML element.

import * as rt from './gan_runtime.js';

const MAX_SEED = 2147483647;
const RANGE = 5; // as the server's sliders (studio/validation.py MAX_SLIDER / 2)
const GRID = 64;
const GRID_COLUMNS = 8;
const ROW_AT_ONCE = 8; // the grid is drawn a row of 8 seeds per step (~10 ms), so no frame waits for all 64
const PART = 'The in-browser explorer';
const ELSEWHERE = 'Every other tab works as before.';

const MARKUP = `
<div class="ge-status" role="status">Loading the in-browser runtime…</div>
<div class="ge-body" hidden>
  <div class="ge-controls">
    <div class="ge-row">
      <label>Seed <input type="number" class="ge-seed" min="0" max="${MAX_SEED}" step="1" value="0"></label>
      <button type="button" class="ge-random">Random seed</button>
      <button type="button" class="ge-reset">Reset sliders</button>
    </div>
    <label class="ge-class-row">Class <select class="ge-class"></select></label>
    <div class="ge-sliders"></div>
    <div class="ge-pad-row">
      <canvas class="ge-pad" width="160" height="160" aria-label="2-D pad: drag to move two directions at once"></canvas>
      <div>Drag the pad to move two directions at once.<br>
        <label>across: <select class="ge-pad-x"></select></label><br>
        <label>down: <select class="ge-pad-y"></select></label></div>
    </div>
  </div>
  <div class="ge-view">
    <canvas class="ge-image" width="28" height="28" aria-label="the generated image"></canvas>
    <p class="ge-caption"></p>
    <label class="ge-latent-label">Latent vector (paste it into any server tab)<textarea class="ge-latent" rows="3" readonly></textarea></label>
    <p class="ge-timing"></p>
    <label><input type="checkbox" class="ge-grid-toggle"> Also 64 seeds (seed … seed+63) with the same moves</label>
    <canvas class="ge-grid" width="224" height="224" hidden aria-label="64 seeds"></canvas>
  </div>
</div>
<div class="ge-interp" hidden>
  <h3>Interpolation, live</h3>
  <div class="ge-row">
    <label>From seed <input type="number" class="ge-from" min="0" max="${MAX_SEED}" value="0"></label>
    <label>to seed <input type="number" class="ge-to" min="0" max="${MAX_SEED}" value="1"></label>
    <label class="ge-morph">class <select class="ge-from-class"></select> → <select class="ge-to-class"></select></label>
  </div>
  <div class="ge-row">
    <label>or from a latent <textarea class="ge-from-latent" rows="1" placeholder="optional: pasted latent"></textarea></label>
    <label>to a latent <textarea class="ge-to-latent" rows="1" placeholder="optional: pasted latent"></textarea></label>
  </div>
  <div class="ge-row">
    <label>Seconds per pass <input type="range" class="ge-speed" min="0.5" max="10" step="0.5" value="3"> <output class="ge-speed-out">3 s</output></label>
    <button type="button" class="ge-play">Play</button>
  </div>
  <canvas class="ge-anim" width="28" height="28" aria-label="the interpolation"></canvas>
  <p class="ge-anim-caption"></p>
</div>`;

const CSS = `
.gan-explorer [hidden] { display: none !important; }  /* the display rules below must not show what is hidden */
.gan-explorer .ge-body { display: flex; flex-wrap: wrap; gap: 24px; }
.gan-explorer .ge-controls { flex: 1 1 320px; min-width: 280px; }
.gan-explorer .ge-view { flex: 2 1 320px; }
.gan-explorer .ge-row { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 6px 0; }
.gan-explorer label { display: block; margin: 4px 0; }
.gan-explorer .ge-row label { display: inline-block; }
.gan-explorer input[type=number] { width: 8em; }
.gan-explorer .ge-slider { display: grid; grid-template-columns: 6.5em 1fr 3.5em; align-items: center; gap: 6px; }
.gan-explorer canvas.ge-image, .gan-explorer canvas.ge-anim { width: 280px; height: 280px; image-rendering: pixelated; background: #000; }
.gan-explorer canvas.ge-grid { width: 448px; max-width: 100%; image-rendering: pixelated; }
.gan-explorer canvas.ge-pad { border: 1px solid #888; border-radius: 6px; touch-action: none; cursor: crosshair; background: #f4f4f5; }
.gan-explorer .ge-pad-row { display: flex; gap: 12px; align-items: center; margin-top: 8px; }
.gan-explorer textarea { width: 100%; font-family: monospace; font-size: 12px; }
.gan-explorer .ge-status { margin: 6px 0; }
.gan-explorer .ge-status.ge-problem { color: #b91c1c; font-weight: 600; }
.gan-explorer .ge-timing { color: #666; font-size: 12px; }
.gan-explorer .ge-interp { margin-top: 18px; }
.gan-explorer .ge-interp h3 { font-weight: 600; margin: 8px 0; }
.gan-explorer button { padding: 4px 12px; border: 1px solid #d4d4d8; border-radius: 6px; background: #f4f4f5; cursor: pointer; }
.gan-explorer button:hover { background: #e4e4e7; }
.gan-explorer select, .gan-explorer input[type=number] { border: 1px solid #d4d4d8; border-radius: 6px; padding: 2px 26px 2px 6px; min-width: 4.5em; }
`;

function quantiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p95: at(0.95) };
}

function slerp(z0, z1, t) {
  let n0 = 0, n1 = 0, dot = 0;
  for (let i = 0; i < z0.length; i++) { n0 += z0[i] * z0[i]; n1 += z1[i] * z1[i]; dot += z0[i] * z1[i]; }
  const omega = Math.acos(Math.min(1 - 1e-7, Math.max(-1 + 1e-7, dot / Math.sqrt(n0 * n1))));
  const out = new Float32Array(z0.length);
  if (Math.abs(omega) < 1e-4) {
    for (let i = 0; i < z0.length; i++) out[i] = z0[i] + (z1[i] - z0[i]) * t;
    return out;
  }
  const s = Math.sin(omega), a = Math.sin((1 - t) * omega) / s, b = Math.sin(t * omega) / s;
  for (let i = 0; i < z0.length; i++) out[i] = a * z0[i] + b * z1[i];
  return out;
}

class Explorer {
  constructor(element, version) {
    this.root = element;
    this.version = version;
    this.offsets = new Float32Array(8);
    this.stats = { single: [], grid: [], gridRows: [], paints: 0 };
    this.gridDrawn = null; // what the grid's rows show: the recipe they were drawn for
    this.animTurn = 0;
    this.pending = false;
    this.busy = false;
    this.playing = false;
    element.classList.add('gan-explorer');
    const style = document.createElement('style');
    style.textContent = CSS;
    element.append(style);
    const holder = document.createElement('div');
    holder.innerHTML = MARKUP;
    element.append(...holder.children);
    this.$ = (selector) => element.querySelector(selector);
    this.buildSliders();
    this.wire();
  }

  fail(message) {
    const status = this.$('.ge-status');
    status.textContent = message;
    status.classList.add('ge-problem');
    this.$('.ge-body').hidden = true;
    this.$('.ge-interp').hidden = true;
    this.root.dataset.state = 'unavailable';
  }

  async load(key) {
    if (!key) return this.fail(rt.problem(PART, 'no model is loaded', ELSEWHERE));
    this.stopPlaying();
    try {
      this.ort = await rt.loadRuntime(this.version, (text) => { this.$('.ge-status').textContent = text; });
      const meta = await rt.modelMeta(key);
      await rt.session(this.ort, meta.generator_url);
      this.meta = meta;
    } catch (e) {
      return this.fail(rt.problem(PART, e, ELSEWHERE));
    }
    this.configure();
    this.$('.ge-status').textContent = `${this.meta.label}: drawn in your browser by onnxruntime-web (WebAssembly); nothing is sent to the server while you explore.`;
    this.$('.ge-status').classList.remove('ge-problem');
    this.$('.ge-body').hidden = false;
    this.$('.ge-interp').hidden = false;
    this.root.dataset.state = 'ready';
    this.root.dataset.model = key;
    this.request();
    const ends = this.ends();
    if (ends) this.drawInterpolation(ends, 0); // its first frame, until Play
  }

  buildSliders() {
    const box = this.$('.ge-sliders');
    this.sliders = [];
    for (let i = 0; i < 8; i++) {
      const row = document.createElement('label');
      row.className = 'ge-slider';
      row.innerHTML = `<span>Direction ${i + 1}</span><input type="range" min="-${RANGE}" max="${RANGE}" step="0.1" value="0" data-index="${i}"><output>0</output>`;
      box.append(row);
      this.sliders.push(row.querySelector('input'));
    }
    for (const [select, chosen] of [[this.$('.ge-pad-x'), 0], [this.$('.ge-pad-y'), 1]]) {
      select.innerHTML = this.sliders.map((_, i) => `<option value="${i}">direction ${i + 1}</option>`).join('');
      select.value = String(chosen);
    }
  }

  configure() {
    const meta = this.meta;
    const names = meta.classes.length ? meta.classes
      : meta.modes.map((m) => `${m.name} · ${(100 * m.share).toFixed(1)}% of the training images`);
    const picker = this.$('.ge-class');
    const choices = meta.classes.length ? names : (names.length ? ["Any mode (each seed's own)", ...names] : []);
    // class names can come from a visitor's zip (its folder names): text, never markup
    for (const select of [picker, this.$('.ge-from-class'), this.$('.ge-to-class')]) {
      select.replaceChildren(...choices.map((c, i) => new Option(c, String(i))));
    }
    this.$('.ge-class-row').hidden = !choices.length;
    this.$('.ge-class-row').firstChild.textContent = meta.classes.length ? 'Class ' : 'Mode ';
    this.$('.ge-morph').hidden = !meta.classes.length;
    this.drawPad();
  }

  wire() {
    const redraw = () => this.request();
    this.sliders.forEach((s, i) => s.addEventListener('input', () => {
      this.offsets[i] = Number(s.value);
      s.nextElementSibling.textContent = Number(s.value).toFixed(2);
      this.drawPad();
      this.stats.lastInput = performance.now();
      redraw();
    }));
    this.$('.ge-seed').addEventListener('input', redraw);
    this.$('.ge-class').addEventListener('change', redraw);
    this.$('.ge-grid-toggle').addEventListener('change', (e) => { this.$('.ge-grid').hidden = !e.target.checked; this.gridDrawn = null; redraw(); });
    this.$('.ge-random').addEventListener('click', () => { this.$('.ge-seed').value = Math.floor(Math.random() * 1000000); redraw(); });
    this.$('.ge-reset').addEventListener('click', () => this.setOffsets(new Float32Array(8)));
    for (const which of ['.ge-pad-x', '.ge-pad-y']) this.$(which).addEventListener('change', () => this.drawPad());
    const pad = this.$('.ge-pad');
    const move = (event) => {
      if (!(event.buttons & 1) && event.type !== 'pointerdown') return;
      const box = pad.getBoundingClientRect();
      const x = ((event.clientX - box.left) / box.width) * 2 - 1, y = ((event.clientY - box.top) / box.height) * 2 - 1;
      const values = Float32Array.from(this.offsets);
      values[Number(this.$('.ge-pad-x').value)] = Math.max(-1, Math.min(1, x)) * RANGE;
      values[Number(this.$('.ge-pad-y').value)] = Math.max(-1, Math.min(1, y)) * RANGE;
      this.stats.lastInput = performance.now();
      this.setOffsets(values);
    };
    pad.addEventListener('pointerdown', (e) => { pad.setPointerCapture(e.pointerId); move(e); });
    pad.addEventListener('pointermove', move);
    this.$('.ge-speed').addEventListener('input', (e) => { this.$('.ge-speed-out').textContent = `${e.target.value} s`; });
    this.$('.ge-play').addEventListener('click', () => this.togglePlay());
  }

  setOffsets(values) {
    this.offsets = Float32Array.from(values);
    this.sliders.forEach((s, i) => { s.value = String(this.offsets[i]); s.nextElementSibling.textContent = this.offsets[i].toFixed(2); });
    this.drawPad();
    this.request();
  }

  drawPad() {
    const pad = this.$('.ge-pad'), ctx = pad.getContext('2d');
    const x = this.offsets[Number(this.$('.ge-pad-x').value)] / RANGE, y = this.offsets[Number(this.$('.ge-pad-y').value)] / RANGE;
    ctx.clearRect(0, 0, pad.width, pad.height);
    ctx.strokeStyle = '#bbb';
    ctx.beginPath();
    ctx.moveTo(pad.width / 2, 0); ctx.lineTo(pad.width / 2, pad.height);
    ctx.moveTo(0, pad.height / 2); ctx.lineTo(pad.width, pad.height / 2);
    ctx.stroke();
    ctx.fillStyle = '#f97316';
    ctx.beginPath();
    ctx.arc(((x + 1) / 2) * pad.width, ((y + 1) / 2) * pad.height, 7, 0, 2 * Math.PI);
    ctx.fill();
  }

  seed() {
    const value = Math.floor(Number(this.$('.ge-seed').value));
    return Number.isFinite(value) ? Math.min(MAX_SEED, Math.max(0, value)) : 0;
  }

  // The picker's choice: a class index (conditional), a mode index or null (self-conditioned: null = the seed's own).
  choice(select = this.$('.ge-class')) {
    if (this.meta.classes.length) return Number(select.value || 0);
    if (this.meta.modes.length) return Number(select.value || 0) === 0 ? null : Number(select.value) - 1;
    return null;
  }

  labelFor(choice) {
    return this.meta.classes.length ? rt.oneHot(this.meta.classes.length, choice) : null;
  }

  // seed's latent moved by the sliders along the principal directions, then put into the chosen mode
  latent(seed) {
    const z = rt.seedLatent(this.meta, seed);
    this.meta.directions.forEach((direction, i) => {
      const o = this.offsets[i];
      if (o) for (let j = 0; j < z.length; j++) z[j] += o * direction[j];
    });
    return this.meta.modes.length ? rt.inMode(this.meta, z, this.choice()) : z;
  }

  // Draw now, not at the next animation frame: an image takes ~2 ms, so the picture is ready for the
  // very next frame the browser shows. Moves that arrive while one is drawn coalesce into one more.
  request() {
    this.pending = true;
    if (!this.busy) queueMicrotask(() => this.render());
  }

  async render() {
    if (!this.meta || this.busy || !this.pending) return;
    this.busy = true;
    this.pending = false;
    try {
      const seed = this.seed(), choice = this.choice();
      const z = this.latent(seed);
      const t0 = performance.now();
      const image = await rt.generate(this.ort, this.meta, [z], [this.labelFor(choice)]);
      const bytes = rt.toBytes(this.meta, image);
      rt.paint(this.$('.ge-image'), bytes, 1, 0, 1, rt.shapeOf(this.meta));
      this.stats.single.push(performance.now() - t0);
      this.lastBytes = bytes;
      this.lastLatent = z;
      this.caption(seed, choice, z);
      this.stats.paints += 1;
      this.root.dispatchEvent(new CustomEvent('gan-painted', { detail: { at: performance.now(), input: this.stats.lastInput } }));
      if (!this.$('.ge-grid').hidden) await this.drawGrid(seed, choice);
    } catch (e) {
      this.fail(rt.problem(PART, e, ELSEWHERE));
    } finally {
      this.busy = false;
      if (this.pending) this.request();
    }
  }

  // The 64 seeds a row at a time, yielding to the browser between rows: a new move is drawn in the
  // single image at once, and the grid catches up row by row (each render draws at least one row, so
  // a long drag still refreshes it, top to bottom, in turn).
  async drawGrid(seed, choice) {
    const recipe = `${this.meta.name}|${seed}|${choice}|${Array.from(this.offsets).join(',')}`;
    if (this.gridDrawn?.recipe !== recipe) this.gridDrawn = { recipe, rows: new Set(), next: this.gridDrawn?.next || 0 };
    const drawn = this.gridDrawn, rows = GRID / ROW_AT_ONCE;
    const t0 = performance.now();
    while (drawn.rows.size < rows) {
      let row = drawn.next % rows;
      while (drawn.rows.has(row)) row = (row + 1) % rows;
      const tr = performance.now();
      const latents = Array.from({ length: ROW_AT_ONCE }, (_, i) => this.latent(Math.min(MAX_SEED, seed + row * ROW_AT_ONCE + i)));
      const images = await rt.generate(this.ort, this.meta, latents, latents.map(() => this.labelFor(choice)));
      if (this.gridDrawn !== drawn) return; // the grid was switched off and on meanwhile
      rt.paint(this.$('.ge-grid'), rt.toBytes(this.meta, images), GRID_COLUMNS, row * ROW_AT_ONCE, GRID, rt.shapeOf(this.meta));
      this.stats.gridRows.push(performance.now() - tr);
      drawn.rows.add(row);
      drawn.next = row + 1;
      if (this.pending) return; // a newer move: draw it first
      await new Promise((ok) => setTimeout(ok, 0));
      if (this.pending) return;
    }
    this.stats.grid.push(performance.now() - t0);
    this.root.dispatchEvent(new CustomEvent('gan-grid-painted'));
  }

  // The recipe in the words the server's Latent sliders tab uses, and the latent any server tab takes.
  caption(seed, choice, z) {
    const moved = Array.from(this.offsets).map((v, i) => (v ? `${i + 1}: ${v >= 0 ? '+' : ''}${Number(v.toFixed(2))}` : null)).filter(Boolean).join(', ') || 'none';
    const which = this.meta.classes.length ? `, class '${this.meta.classes[choice]}'` : (choice != null ? `, ${this.meta.modes[choice].name}` : '');
    this.$('.ge-caption').textContent = `${this.meta.name}: seed ${seed}${which}, principal sliders moved: ${moved}`;
    this.$('.ge-latent').value = rt.formatLatent(z);
    const single = quantiles(this.stats.single.slice(-100));
    this.$('.ge-timing').textContent = `computed in your browser: ${single.p50.toFixed(1)} ms per image (median of the last ${single.n})`;
  }

  className() {
    const choice = this.choice();
    return this.meta.classes.length ? this.meta.classes[choice] : '';
  }

  endpoint(which) {
    const text = this.$(`.ge-${which}-latent`).value.trim();
    const z = text ? rt.parseLatent(text, this.meta.latent_dim) : rt.seedLatent(this.meta, Math.max(0, Math.min(MAX_SEED, Math.floor(Number(this.$(`.ge-${which}`).value) || 0))));
    return z;
  }

  // The interpolation's two ends (seeds or pasted latents) and class weights; null with a message if a latent is bad.
  ends() {
    try {
      const k = this.meta.classes.length;
      return { z0: this.endpoint('from'), z1: this.endpoint('to'),
               a: rt.oneHot(k, k ? this.choice(this.$('.ge-from-class')) : null),
               b: rt.oneHot(k, k ? this.choice(this.$('.ge-to-class')) : null) };
    } catch (e) {
      this.$('.ge-anim-caption').textContent = e.message;
      return null;
    }
  }

  async drawInterpolation({ z0, z1, a, b }, t, turn = this.animTurn) {
    const label = this.meta.classes.length ? a.map((v, i) => v + (b[i] - v) * t) : null;
    const image = await rt.generate(this.ort, this.meta, [slerp(z0, z1, t)], [label]);
    if (turn !== this.animTurn) return; // a newer model or play has taken over
    rt.paint(this.$('.ge-anim'), rt.toBytes(this.meta, image), 1, 0, 1, rt.shapeOf(this.meta));
    this.$('.ge-anim-caption').textContent = `t = ${t.toFixed(2)} (slerp)`;
  }

  stopPlaying() {
    this.playing = false;
    this.animTurn++;
    this.$('.ge-play').textContent = 'Play';
  }

  togglePlay() {
    if (this.playing) return this.stopPlaying();
    const ends = this.ends();
    if (!ends) return;
    this.playing = true;
    const turn = ++this.animTurn;
    this.$('.ge-play').textContent = 'Pause';
    const start = performance.now();
    const frame = async () => {
      if (!this.playing || turn !== this.animTurn) return;
      const period = Number(this.$('.ge-speed').value) * 1000;
      const phase = ((performance.now() - start) % (2 * period)) / period;
      try {
        await this.drawInterpolation(ends, phase <= 1 ? phase : 2 - phase, turn); // there and back
      } catch (e) {
        this.stopPlaying();
        this.$('.ge-anim-caption').textContent = rt.problem('The interpolation', e, 'Press Play to try again.');
        return;
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  dispose() {
    this.stopPlaying();
    this.unsubscribe?.();
    this.meta = null;
  }
}

export function mount(element, version) {
  if (element.dataset.mounted) return element.explorer;
  element.dataset.mounted = '1';
  const model = rt.currentModel(element);
  window.ganExplorer?.dispose(); // a panel mounted again replaces the old one, listeners and all
  const explorer = new Explorer(element, version);
  element.explorer = explorer;
  window.ganExplorer = explorer;
  explorer.load(model);
  explorer.unsubscribe = rt.onModelChange((key) => explorer.load(key));
  return explorer;
}
