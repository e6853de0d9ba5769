// Seed -> latent, exactly as the server makes it (gan/sampling/latents.py):
// torch.randn(d, generator=torch.Generator().manual_seed(seed)) on the CPU, that is mt19937 seeded
// with the seed's low 32 bits, 24-bit uniforms, and torch's Box-Muller over blocks of 16 (the
// last block redrawn when d is not a multiple of 16; aten/src/ATen/native/cpu/DistributionTemplates.h).
// Agrees with torch to ~1e-6 (float32 rounding of log/cos/sin); tests/test_explorer_browser.py checks it.

class MersenneTwister {
  constructor(seed) {
    this.state = new Uint32Array(624);
    this.state[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
      this.state[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }

  next() {
    if (this.index >= 624) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  twist() {
    const s = this.state;
    for (let i = 0; i < 624; i++) {
      const y = (s[i] & 0x80000000) | (s[(i + 1) % 624] & 0x7fffffff);
      let v = s[(i + 397) % 624] ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      s[i] = v >>> 0;
    }
    this.index = 0;
  }

  uniform() { // [0, 1) with float32's 24 bits, as at::uniform_real_distribution<float>
    return (this.next() & 0xffffff) / 16777216;
  }
}

const f32 = Math.fround;

function boxMuller16(data, offset) {
  for (let j = 0; j < 8; j++) {
    const u1 = f32(1 - data[offset + j]); // (0, 1] for the log
    const u2 = data[offset + j + 8];
    const radius = f32(Math.sqrt(f32(-2 * f32(Math.log(u1)))));
    const theta = f32(2 * Math.PI * u2);
    data[offset + j] = f32(radius * f32(Math.cos(theta)));
    data[offset + j + 8] = f32(radius * f32(Math.sin(theta)));
  }
}

export function latentForSeed(seed, dim) {
  const rng = new MersenneTwister(seed);
  const z = new Float32Array(dim);
  if (dim < 16) throw new Error('latents under 16 dimensions use another torch path');
  for (let i = 0; i < dim; i++) z[i] = rng.uniform();
  for (let i = 0; i + 16 <= dim; i += 16) boxMuller16(z, i);
  if (dim % 16 !== 0) {
    const tail = new Float32Array(16);
    for (let i = 0; i < 16; i++) tail[i] = rng.uniform();
    boxMuller16(tail, 0);
    z.set(tail, dim - 16);
  }
  return z;
}
