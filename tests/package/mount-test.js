import init, { mount } from "../../pkg/talking_head_studio.js";
await init();
const base = location.origin;
const defaults = { input_image: `${base}/samples/portrait.jpg`, input_audio: `${base}/samples/voice.mp3` };
window.__one = mount(document.querySelector("#one"), { endpoint: "stand_in", baseUrl: base, apiKey: "stand-in-key", defaults, storageKey: "one" });
window.__two = mount(document.querySelector("#two"), { endpoint: "stand_in", baseUrl: base, apiKey: "stand-in-key", defaults: { ...defaults, pose_style: 20 } });
window.__mounted = true;
