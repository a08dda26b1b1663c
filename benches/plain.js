// The hand-written baseline page's script (a file of its own: the pages run under a CSP without inline script).
// `?base64=1` asks for the base64 answer and decodes it the usual hand-written way.
document.querySelector("#go").addEventListener("click", async () => {
  const base = location.origin;
  const base64 = new URLSearchParams(location.search).has("base64");
  const response = await fetch(`${base}/v1/sadtalker`, {
    method: "POST",
    headers: { "x-api-key": "stand-in-key", "content-type": "application/json" },
    body: JSON.stringify({
      input_image: `${base}/samples/portrait.jpg`, input_audio: `${base}/samples/voice.mp3`,
      pose_style: 4, expression_scale: 1.4, preprocess: "full", image_size: 256, enhancer: true, base64,
    }),
  });
  let blob;
  if (base64) {
    const answer = await response.json();
    const text = atob(answer.video || answer.image);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    blob = new Blob([bytes], { type: "video/mp4" });
  } else {
    blob = await response.blob();
  }
  // The studio's player: controls, sound, playing at once. (A muted player
  // starts sooner in Chromium; the baseline is for the client's work, not the player's.)
  const video = document.createElement("video");
  video.src = URL.createObjectURL(blob);
  video.controls = true;
  video.autoplay = true;
  video.playsInline = true;
  document.body.append(video);
});
