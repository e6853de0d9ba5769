// A picture made like a data set's pictures, in the browser: the port of gan/data/pictures.py
// (to_grey, ink, bounding_box, fit, paste_at, mnist_style) for the live drawing guess. The rule's
// constants come from the model's meta (its `picture_rule`, written by Python), and every step after
// the grey conversion works on whole 8-bit values, as the Python does, so both give the same bytes:
// Pillow's LANCZOS is ported in its own fixed point, and Python's round() rounds half to even.

const PRECISION_BITS = 32 - 8 - 2; // Pillow's Resample.c, 8 bits per channel
const ONE = 2 ** PRECISION_BITS;

export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function median(values) {
  const v = Float64Array.from(values).sort();
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// RGBA bytes -> grey uint8 (to_grey's RGBA branch: a canvas always has alpha)
export function toGrey(rgba, width, height, weights) {
  const n = width * height;
  const grey = new Float64Array(n), alpha = new Float64Array(n);
  let transparent = false;
  for (let i = 0; i < n; i++) {
    grey[i] = (rgba[4 * i] / 255) * weights[0] + (rgba[4 * i + 1] / 255) * weights[1] + (rgba[4 * i + 2] / 255) * weights[2];
    alpha[i] = rgba[4 * i + 3] / 255;
    if (alpha[i] < 1) transparent = true;
  }
  if (transparent) { // composite onto the colour that makes the strokes stand out
    const strokes = [];
    for (let i = 0; i < n; i++) if (alpha[i] > 0.5) strokes.push(grey[i]);
    const back = strokes.length === 0 || median(strokes) < 0.5 ? 1 : 0;
    for (let i = 0; i < n; i++) grey[i] = grey[i] * alpha[i] + back * (1 - alpha[i]);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(255, Math.max(0, roundHalfEven(grey[i] * 255)));
  return out;
}

// light ink on dark: inverted when the border is mostly light
export function ink(grey, width, height) {
  const border = [];
  for (let x = 0; x < width; x++) border.push(grey[x], grey[(height - 1) * width + x]);
  for (let y = 0; y < height; y++) border.push(grey[y * width], grey[y * width + width - 1]);
  return median(border) > 127.5 ? grey.map((v) => 255 - v) : grey;
}

export function boundingBox(x, width, height, rule) {
  let brightest = 0;
  for (const v of x) brightest = Math.max(brightest, v);
  const threshold = rule.ink_threshold * brightest;
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let c = 0; c < width; c++) {
      if (x[y * width + c] > threshold) {
        top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, c); right = Math.max(right, c);
      }
    }
  }
  if (brightest < rule.blank_below || bottom < 0) return null;
  return { top, bottom: bottom + 1, left, right: right + 1 };
}

function lanczos(x) {
  const sinc = (t) => (t === 0 ? 1 : Math.sin(t * Math.PI) / (t * Math.PI));
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

// Resample.c precompute_coeffs + normalize_coeffs_8bpc: per output pixel, its first input and integer weights
function coefficients(inSize, outSize) {
  const scale = inSize / outSize, filterscale = Math.max(scale, 1);
  const support = 3 * filterscale;
  const rows = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    const w = [];
    let ww = 0;
    for (let x = 0; x < xmax; x++) { w.push(lanczos((x + xmin - center + 0.5) / filterscale)); ww += w[x]; }
    const k = w.map((v) => (ww !== 0 ? v / ww : v)).map((v) => Math.trunc(v < 0 ? -0.5 + v * ONE : 0.5 + v * ONE));
    rows.push({ xmin, k });
  }
  return rows;
}

function clip8(sum) {
  if (sum >= ONE * 256) return 255;
  if (sum <= 0) return 0;
  return Math.floor(sum / ONE);
}

// Image.fromarray(uint8).resize((outW, outH), Image.LANCZOS), exactly: horizontal pass first
export function resizeLanczos(src, width, height, outW, outH) {
  if (outW === width && outH === height) return Uint8Array.from(src);
  const vertical = coefficients(height, outH);
  let rows = src, firstRow = 0, rowCount = height;
  if (outW !== width) {
    firstRow = vertical[0].xmin;
    rowCount = vertical[outH - 1].xmin + vertical[outH - 1].k.length - firstRow;
    const horizontal = coefficients(width, outW);
    rows = new Uint8Array(outW * rowCount);
    for (let y = 0; y < rowCount; y++) {
      for (let xx = 0; xx < outW; xx++) {
        const { xmin, k } = horizontal[xx];
        let sum = ONE / 2;
        for (let x = 0; x < k.length; x++) sum += src[(y + firstRow) * width + x + xmin] * k[x];
        rows[y * outW + xx] = clip8(sum);
      }
    }
  }
  if (outH === height) return rows;
  const out = new Uint8Array(outW * outH);
  for (let yy = 0; yy < outH; yy++) {
    const { xmin, k } = vertical[yy];
    for (let xx = 0; xx < outW; xx++) {
      let sum = ONE / 2;
      for (let y = 0; y < k.length; y++) sum += rows[(y + xmin - firstRow) * outW + xx] * k[y];
      out[yy * outW + xx] = clip8(sum);
    }
  }
  return out;
}

// RGBA bytes of any size -> the rule's size x size uint8 picture (light ink on black), or null when blank
export function prepare(rgba, width, height, rule) {
  const x = ink(toGrey(rgba, width, height, rule.grey_weights), width, height);
  const box = boundingBox(x, width, height, rule);
  if (!box) return null;
  const h = box.bottom - box.top, w = box.right - box.left;
  const crop = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) crop.set(x.subarray((box.top + y) * width + box.left, (box.top + y) * width + box.right), y * w);
  const scale = rule.longest / Math.max(h, w);
  const pw = Math.max(1, roundHalfEven(w * scale)), ph = Math.max(1, roundHalfEven(h * scale));
  const patch = resizeLanczos(crop, w, h, pw, ph);
  let mass = 0, cy = 0, cx = 0;
  for (let y = 0; y < ph; y++) {
    for (let c = 0; c < pw; c++) { const v = patch[y * pw + c]; mass += v; cy += y * v; cx += c * v; }
  }
  const centre = rule.centre === 'box' || mass === 0 ? [ph / 2, pw / 2] : [cy / mass, cx / mass];
  const n = rule.size, top = roundHalfEven(n / 2 - centre[0]), left = roundHalfEven(n / 2 - centre[1]);
  const out = new Uint8Array(n * n);
  for (let y = 0; y < ph; y++) {
    for (let c = 0; c < pw; c++) {
      const r = top + y, col = left + c;
      if (r >= 0 && r < n && col >= 0 && col < n) out[r * n + col] = patch[y * pw + c];
    }
  }
  return out;
}
