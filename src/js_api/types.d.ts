// The package's TypeScript types that tsify cannot make from the Rust types
// (the rest come from src/js_api/convert.rs and the api types it uses);
// included by src/js_api/mod.rs, checked by `tsc` against tests/package/usage.ts.

/** The SadTalker request body as a caller writes it: the two inputs, and any
 *  of the settings (omitted ones take the API's defaults). */
export type SadTalkerRequest = Pick<NormalizedRequest, "input_image" | "input_audio"> & Partial<NormalizedRequest>;

/** What generate(), resume() and toCode() reject with. */
export interface StudioError extends Error, StudioErrorFields {
  name: "StudioError";
}
