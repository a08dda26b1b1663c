// compare() from a plain page: refused variants, six drafts under the
// stand-in's limit of five a minute, and a comparison stopped at once.
// The e2e test (tests/e2e_package.rs) reads window.__results.
import init, { compare } from "../../pkg/talking_head_studio.js";

const results = {};
const refusal = (call) => {
  try { call(); return "accepted"; } catch (e) { return { name: e.name, kind: e.kind, message: e.message, fields: (e.fieldErrors || []).map((f) => f.field) }; }
};
try {
  await init();
  const base = location.origin;
  const options = { baseUrl: base, apiKey: "stand-in-key" };
  const request = { input_image: `${base}/samples/portrait.jpg`, input_audio: `${base}/samples/voice.wav` };
  results.tooFew = refusal(() => compare(request, [{ pose_style: 1 }], options));
  results.misspelt = refusal(() => compare(request, [{ pose_style: 1 }, { pose: 2 }], options));
  results.outOfRange = refusal(() => compare(request, [{ pose_style: 99 }, { pose_style: 2 }], options));
  results.twice = refusal(() => compare(request, [{ pose_style: 3 }, { pose_style: 3 }], options));
  results.badLength = refusal(() => compare(request, [{ pose_style: 1 }, { pose_style: 2 }], { ...options, draftSeconds: 40 }));

  const stages = {};
  const variants = [0, 9, 18, 27, 36, 45].map((pose_style) => ({ pose_style }));
  const handle = compare(request, variants, { ...options, onProgress: (i, e) => (stages[i] ??= []).push(e.stage) });
  const drafts = await handle.done;
  results.drafts = [];
  for (const d of drafts) {
    let duration = null;
    if (d.video) {
      const v = document.createElement("video");
      v.muted = true;
      v.src = URL.createObjectURL(d.video);
      await new Promise((ok, fail) => { v.onloadedmetadata = ok; v.onerror = fail; });
      duration = v.duration;
    }
    results.drafts.push({ label: d.label, pose: d.request.pose_style, type: d.video ? d.video.type : null, duration, error: d.error ? d.error.kind : null, ticket: !!d.ticket });
  }
  results.stages = stages;

  const stopped = compare(request, [{ pose_style: 1 }, { pose_style: 2 }], options);
  stopped.cancel();
  results.cancelled = (await stopped.done).map((d) => (d.error ? d.error.kind : "video"));
} catch (e) {
  results.unexpected = String(e && (e.stack || e.message || e));
}
window.__results = results;
