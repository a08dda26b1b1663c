// Starts the studio (the page's Content-Security-Policy allows no inline
// script). pkg/studio.js is wasm-bindgen's loader; the wasm's `main` mounts
// the studio. The chunks of parts shown later are fetched by pkg/__wasm_split.js.
import init from './pkg/studio.js';
await init({ module_or_path: new URL('./pkg/studio_bg.wasm', import.meta.url) });
