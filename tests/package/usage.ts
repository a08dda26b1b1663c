// Type-checks the package's .d.ts (made from the Rust types by tsify) the way a TypeScript user would use it.
import init, { compare, estimate, generate, mount, resume, toCode, validate } from "../../pkg/talking_head_studio.js";
import type { CompareOptions, DraftResult, ErrorKind, GenerateOptions, JobTicket, ProgressEvent, SadTalkerRequest, StudioError, ValidationResult } from "../../pkg/talking_head_studio.js";

export async function example(element: HTMLElement): Promise<string> {
  await init();
  const request: SadTalkerRequest = {
    input_image: "https://example.com/face.png",
    input_audio: "https://example.com/voice.mp3",
    pose_style: 4,
    preprocess: "crop",
    image_size: 512,
  };
  const checked: ValidationResult = validate(request);
  if (!checked.ok) {
    return checked.errors.map((e) => `${e.field}: ${e.message}`).join("\n");
  }
  const normalized = checked.request;
  const size: number | undefined = normalized?.image_size;

  const controller = new AbortController();
  const options: GenerateOptions = {
    proxyUrl: "https://proxy.example",
    mode: "async",
    signal: controller.signal,
    onProgress: (event: ProgressEvent) => {
      console.log(event.stage, event.message, event.receivedBytes ?? 0);
      if (event.stage === "submitted" && event.ticket) localStorage.setItem("ticket", JSON.stringify(event.ticket));
    },
  };
  const kept = localStorage.getItem("ticket");
  if (kept) {
    const ticket: JobTicket = JSON.parse(kept);
    const base: string = ticket.endpoint.baseUrl;
    const again: Blob = await resume(ticket, { onProgress: (e) => console.log(e.stage, e.retryInSeconds, base) });
    console.log(again.size);
  }
  try {
    const video: Blob = await generate(request, options);
    console.log(video.size, size);
  } catch (caught) {
    const error = caught as StudioError;
    if (error.kind === "rate_limited" || error.status === 429) console.log(error.nextStep, error.serverMessage);
    if (error.kind === "answer_broken" || error.kind === "stopped_following") console.log("may have been charged");
    const kind: ErrorKind = error.kind;
    for (const problem of error.fieldErrors) console.log(problem.field.toUpperCase(), problem.message, kind);
  }
  const handle = mount(element, { endpoint: "proxy", proxyUrl: "https://proxy.example", storageKey: "demo" });
  handle.unmount();

  // @ts-expect-error image_size is 256 or 512 only
  validate({ input_image: "a", input_audio: "b", image_size: 300 });
  // @ts-expect-error the language must be one of the three
  toCode(request, "ruby");
  // @ts-expect-error an unknown option is refused
  generate(request, { apiKeyy: "x" });
  // @ts-expect-error an error kind is one of the documented names
  const wrong: ErrorKind = "teapot";
  console.log(wrong);
  // @ts-expect-error a ticket needs its endpoint
  resume({ requestId: "x", statusUrl: "s", responseUrl: "r", submittedAt: 0, base64: false });
  const cost = estimate(request, { audioSeconds: 12, history: [{ request, audioSeconds: 5, tookSeconds: 40, chargedUsd: 0.06 }] });
  const [low, high]: [number, number] = cost.usd;
  console.log(cost.text, cost.frames, cost.fromRuns, low, high);
  // @ts-expect-error the clip's length is needed
  estimate(request, {});
  const compareOptions: CompareOptions = { proxyUrl: "https://proxy.example", draftSeconds: 3, onProgress: (i: number, e: ProgressEvent) => console.log(i, e.stage) };
  const drafts = compare(request, [{ pose_style: 0 }, { pose_style: 9, expression_scale: 2 }], compareOptions);
  const results: DraftResult[] = await drafts.done;
  for (const d of results) console.log(d.label, d.request.pose_style, d.video?.size, d.error?.kind, d.ticket?.requestId);
  drafts.cancel();
  // @ts-expect-error a variant changes settings only, never the inputs
  compare(request, [{ input_image: "x" }, { pose_style: 1 }], compareOptions);
  return toCode(request, "python");
}
