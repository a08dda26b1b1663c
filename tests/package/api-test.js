// Exercises the built package with no bundler; the e2e test reads window.__results.
import init, { validate, generate, toCode, estimate } from "../../pkg/talking_head_studio.js";
const results = {};
const errorOf = (e) => ({ isError: e instanceof Error, name: e.name, kind: e.kind, status: e.status, message: e.message,
                          nextStep: e.nextStep, serverMessage: e.serverMessage, fieldErrors: e.fieldErrors });
try {
  await init();
  const base = location.origin;
  const request = { input_image: `${base}/samples/portrait.jpg`, input_audio: `${base}/samples/voice.mp3`, image_size: 512 };
  results.bad = validate({ input_image: "javascript:alert(1)", input_audio: "", pose_style: 99, enhancer: "yes" });
  results.good = validate(request);

  const stages = [];
  const blob = await generate(request, { baseUrl: base, apiKey: "stand-in-key", onProgress: (e) => stages.push(e.stage) });
  const video = document.createElement("video");
  video.muted = true;
  document.body.append(video);
  video.src = URL.createObjectURL(blob);
  await new Promise((ok, fail) => { video.onloadeddata = ok; video.onerror = fail; });
  await video.play();
  const t0 = video.currentTime;
  await new Promise((ok) => setTimeout(ok, 600));
  results.video = { type: blob.type, size: blob.size, width: video.videoWidth, advanced: video.currentTime > t0, stages };

  const asyncBlob = await generate(request, { baseUrl: base, apiKey: "stand-in-key", mode: "async" });
  results.asyncVideo = { type: asyncBlob.type, size: asyncBlob.size };

  const controller = new AbortController();
  const pending = generate(request, { baseUrl: base, apiKey: "stand-in-key", signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  try { await pending; results.abort = "resolved"; } catch (e) { results.abort = errorOf(e); }

  try { await generate(request, { baseUrl: base, apiKey: "not-the-key" }); results.unauthorized = "resolved"; }
  catch (e) { results.unauthorized = errorOf(e); }

  try { await generate({ input_image: "x" }, { baseUrl: base }); results.invalid = "resolved"; }
  catch (e) { results.invalid = errorOf(e); }

  // A misspelt option is refused, not ignored (a key under the wrong name would otherwise go nowhere).
  try { await generate(request, { baseUrl: base, apiKeyy: "stand-in-key" }); results.misspelt = "resolved"; }
  catch (e) { results.misspelt = errorOf(e); }

  // The estimate follows the clip and learns from the runs given.
  const past = [
    { request: { ...request, image_size: 256 }, audioSeconds: 5, tookSeconds: 40, chargedUsd: 0.06 },
    { request: { ...request, image_size: 256 }, audioSeconds: 8, tookSeconds: 55 },
  ];
  results.estimate = {
    short: estimate({ ...request, image_size: 256 }, { audioSeconds: 3 }),
    long: estimate({ ...request, image_size: 256 }, { audioSeconds: 30 }),
    learnt: estimate({ ...request, image_size: 256 }, { audioSeconds: 10, history: past }),
  };
  try { estimate(request, {}); results.estimate.missing = "returned"; } catch (e) { results.estimate.missing = errorOf(e); }

  results.code = toCode(request, "curl", { baseUrl: base });
} catch (e) {
  results.unexpected = String(e && (e.stack || e.message || e));
}
window.__results = results;
