// The hand-written baseline page's script (a file of its own: the pages run under a CSP without inline script).
document.querySelector("#go").addEventListener("click", async () => {
  const base = location.origin;
  const response = await fetch(`${base}/v1/sadtalker`, {
    method: "POST",
    headers: { "x-api-key": "stand-in-key", "content-type": "application/json" },
    body: JSON.stringify({
      input_image: `${base}/samples/portrait.jpg`, input_audio: `${base}/samples/voice.mp3`,
      pose_style: 4, expression_scale: 1.4, preprocess: "full", image_size: 256, enhancer: true, base64: false,
    }),
  });
  const video = document.createElement("video");
  video.src = URL.createObjectURL(await response.blob());
  video.muted = true;
  video.autoplay = true;
  document.body.append(video);
});
