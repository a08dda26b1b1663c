// The face check's Web Worker (a module worker, started by the page when a
// portrait is first chosen): decodes the picture, shrinks it to at most
// MAX_SIDE pixels a side, and asks the wasm face finder where the faces are.
// Messages in: { id, image } (a Blob, or a URL to fetch); out: { id, width,
// height, faces: [[x, y, w, h, score], ...] } in the picture's own pixels, or
// { id, error: "unreadable" | "not_a_picture" | "finder", detail }.
import init, { FaceFinder } from "./face_finder.js";

const MAX_SIDE = 1024;

const finder = (async () => {
  const model = fetch(new URL("seeta_fd_frontal_v1.0.bin", import.meta.url)).then((answer) => {
    if (!answer.ok) throw new Error(`the face model answered ${answer.status}`);
    return answer.arrayBuffer();
  });
  await init();
  return new FaceFinder(new Uint8Array(await model));
})();

async function pictureOf(image) {
  if (typeof image !== "string") return image;
  try {
    const answer = await fetch(image, { mode: "cors", credentials: "omit" });
    if (!answer.ok) throw new Error(`answered ${answer.status}`);
    return await answer.blob();
  } catch (e) {
    throw { error: "unreadable", detail: String(e && e.message || e) };
  }
}

onmessage = async ({ data: { id, image } }) => {
  try {
    const blob = await pictureOf(image);
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob);
    } catch (e) {
      throw { error: "not_a_picture", detail: String(e && e.message || e) };
    }
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0, width, height);
    const pixels = context.getImageData(0, 0, width, height).data;
    let found;
    try {
      found = (await finder).find(new Uint8Array(pixels.buffer), width, height, scale);
    } catch (e) {
      throw { error: "finder", detail: String(e && e.message || e) };
    }
    const faces = [];
    for (let i = 0; i + 5 <= found.length; i += 5) faces.push(Array.from(found.subarray(i, i + 5)));
    postMessage({ id, width: bitmap.width, height: bitmap.height, faces });
    bitmap.close();
  } catch (e) {
    postMessage({ id, error: e && e.error ? e.error : "finder", detail: e && e.detail ? e.detail : String(e) });
  }
};
