// Hand-written TypeScript types of the package (wasm-bindgen would make them `any`);
// included by src/js_api/mod.rs, checked by `tsc` against tests/package/usage.ts.
/** The SadTalker request body. Omitted fields take the API's defaults. */
export interface SadTalkerRequest {
  /** The portrait: an http(s) URL or a data: URI. */
  input_image: string;
  /** The speech (WAV or MP3): an http(s) URL or a data: URI. */
  input_audio: string;
  /** Head-movement style, a whole number 0–45 (default 4). */
  pose_style?: number;
  /** Strength of expression, 1–3 (default 1.4). */
  expression_scale?: number;
  /** How the portrait is framed (default "full"). */
  preprocess?: "crop" | "extcrop" | "resize" | "full" | "extfull";
  /** Face renderer resolution (default 256). */
  image_size?: 256 | 512;
  /** Face restoration (default true). */
  enhancer?: boolean;
  /** Ask for the video base64-encoded (default false); generate() decodes either form. */
  base64?: boolean;
}

/** A request with every default filled in, as it is sent. */
export type NormalizedRequest = Required<SadTalkerRequest>;

/** One problem with one field, worded for a person. */
export interface FieldError {
  field: keyof SadTalkerRequest;
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  errors: FieldError[];
  /** The request as it would be sent, when ok. */
  request: NormalizedRequest | null;
}

/** Where a generate() call is. */
export interface ProgressEvent {
  stage: "uploading" | "waiting" | "submitted" | "queued" | "processing" | "receiving" | "retrying" | "trouble";
  /** The stage in words. */
  message: string;
  /** The job's id, for "submitted" (async mode). */
  requestId?: string;
  /** For "submitted": everything resume() needs to follow the job later (keep it; it holds no key). */
  ticket?: JobTicket;
  /** For "receiving". */
  receivedBytes?: number;
  totalBytes?: number;
  /** For "retrying" (a 429: the run was not started) and "trouble" (a job's status read failed;
   *  it is followed on): seconds until the next try. */
  retryInSeconds?: number;
}

/** A submitted job (async mode), as reported in the "submitted" progress event. No key is in it. */
export interface JobTicket {
  requestId: string;
  statusUrl: string;
  responseUrl: string;
  /** Where it was submitted; resume() follows it there and nowhere else. */
  endpoint: { kind: "segmind" | "proxy" | "stand_in"; baseUrl: string };
  /** When it was submitted (ms since 1970); results expire an hour later. */
  submittedAt: number;
  /** Whether the video was asked for as base64. */
  base64: boolean;
}

export interface ResumeOptions {
  /** The key for the ticket's endpoint, if it needs one; sent only to that endpoint's origin. */
  apiKey?: string;
  /** Stops following (the job itself goes on: the provider has no cancel); rejects with kind "stopped_following". */
  signal?: AbortSignal;
  timeoutSeconds?: number;
  onProgress?: (event: ProgressEvent) => void;
}

export interface GenerateOptions {
  /** Segmind API key (direct mode), or the key a proxy/base URL expects. Never logged, sent only as x-api-key. */
  apiKey?: string;
  /** A proxy that adds the key itself; replaces https://api.segmind.com. */
  proxyUrl?: string;
  /** Another base URL speaking the same API (e.g. the local stand-in). */
  baseUrl?: string;
  /** "sync": one request (v1). "async": a job (v2) polled to its end. Default "sync". */
  mode?: "sync" | "async";
  /** Aborts the call; the promise then rejects with kind "cancelled". */
  signal?: AbortSignal;
  /** Gives up after this many seconds (kind "timeout"). Default 600. */
  timeoutSeconds?: number;
  onProgress?: (event: ProgressEvent) => void;
}

export type ErrorKind =
  | "invalid_request" | "invalid_options" | "unauthorized" | "forbidden" | "not_found"
  | "insufficient_credits" | "rate_limited" | "server_error" | "bad_gateway" | "gateway_timeout"
  | "unexpected_status" | "network" | "cancelled" | "timeout" | "job_failed" | "not_a_video" | "local_file"
  | "answer_broken" | "key_withheld" | "redirected" | "job_expired" | "stopped_following";

/** What generate() rejects with. */
export interface StudioError extends Error {
  name: "StudioError";
  kind: ErrorKind;
  /** The HTTP status, when there was one. */
  status: number | null;
  /** What to do about it. */
  nextStep: string;
  /** The server's own words, as plain text. */
  serverMessage: string | null;
  /** For kind "invalid_request". */
  fieldErrors: FieldError[];
}

export interface CodeOptions {
  proxyUrl?: string;
  baseUrl?: string;
}

export interface MountOptions {
  /** Which endpoint the studio starts with (default "segmind", or "proxy" when proxyUrl is given). */
  endpoint?: "segmind" | "proxy" | "stand_in";
  proxyUrl?: string;
  /** The stand-in's (or another compatible server's) base URL. */
  baseUrl?: string;
  /** Pre-filled key for the chosen endpoint (kept in memory only). */
  apiKey?: string;
  /** Keep the form, a running job and the history in this browser under this name. Omit to keep nothing. */
  storageKey?: string;
  /** Field values to start with. */
  defaults?: Partial<SadTalkerRequest>;
}

/** Checks a request; never throws. */
export function validate(request: SadTalkerRequest): ValidationResult;
/** Makes the video; resolves with it as a Blob (video/mp4). A run is never sent twice by itself:
 *  only a 429 (the run was not started) is retried. In async mode, keep the "submitted" event's ticket. */
export function generate(request: SadTalkerRequest, options: GenerateOptions): Promise<Blob>;
/** Follows a submitted job (from generate()'s "submitted" event) to its video, e.g. after a reload.
 *  Status reads are free and retried through trouble until the job ends or expires. */
export function resume(ticket: JobTicket, options?: ResumeOptions): Promise<Blob>;
/** The request as code to run elsewhere; the key is a placeholder. */
export function toCode(request: SadTalkerRequest, language: "curl" | "python" | "js", options?: CodeOptions): string;
/** The whole studio inside `element` (in its own shadow root, so styles don't leak either way). */
export function mount(element: HTMLElement, options?: MountOptions): StudioHandle;
