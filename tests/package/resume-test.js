// Phase 1: generate() in async mode; on "submitted", keep the ticket and reload at once.
// Phase 2 (after the reload): resume(ticket) follows the same job to its video.
// The e2e test reads window.__results.
import init, { generate, resume } from "../../pkg/talking_head_studio.js";

const results = {};
let kept = null;
const errorOf = (e) => ({ name: e.name, kind: e.kind, message: e.message });
try {
  await init();
  const base = location.origin;
  kept = sessionStorage.getItem("ticket");
  if (!kept) {
    const request = { input_image: `${base}/samples/portrait.jpg`, input_audio: `${base}/samples/voice.mp3` };
    generate(request, {
      baseUrl: base, apiKey: "stand-in-key", mode: "async",
      onProgress: (e) => {
        if (e.stage === "submitted") {
          sessionStorage.setItem("ticket", JSON.stringify(e.ticket));
          location.reload();
        }
      },
    }).catch((e) => { window.__results = { unexpected: `phase 1: ${e && (e.stack || e.message || e)}` }; });
  } else {
    const ticket = JSON.parse(kept);
    results.ticket = ticket;
    try { await resume({ requestId: "x" }); results.badTicket = "resolved"; } catch (e) { results.badTicket = errorOf(e); }
    const stages = [];
    const blob = await resume(ticket, { apiKey: "stand-in-key", onProgress: (e) => stages.push(e.stage) });
    const video = document.createElement("video");
    video.muted = true;
    document.body.append(video);
    video.src = URL.createObjectURL(blob);
    await new Promise((ok, fail) => { video.onloadeddata = ok; video.onerror = fail; });
    results.video = { type: blob.type, width: video.videoWidth, stages };
    sessionStorage.removeItem("ticket");
  }
} catch (e) {
  results.unexpected = String(e && (e.stack || e.message || e));
}
if (kept || results.unexpected) {
  window.__results = results;
}
