/**
 * API types. Everything the backend's OpenAPI schema describes comes from the generated
 * `schema.d.ts` (`npm run dump:api && npm run gen:api`): the aliases below only name them.
 */
import type { components } from "./schema";

type S = components["schemas"];

/**
 * A response body as the backend sends it. FastAPI serialises every field of a response model
 * (defaults filled in, `null` where unset; events too, via `model_dump_json`), while the generated
 * types mark fields with a default as optional because the same schemas describe request bodies.
 * `Sent<T>` makes them present, all the way down.
 */
export type Sent<T> = T extends (infer U)[]
  ? Sent<U>[]
  : T extends object
    ? { [K in keyof T as K extends ReadonlyKeys<T> ? never : K]-?: Sent<T[K]> }
    : T;

/**
 * The keys the schema marks `readOnly`: computed fields, which the backend derives for the seed's
 * clients (its names for the same facts, shared/notes/seed-api.md). The UI reads the stored fields,
 * so `Sent<T>` leaves these out.
 */
type ReadonlyKeys<T> = {
  [P in keyof T]-?: IfEquals<{ [Q in P]: T[P] }, { -readonly [Q in P]: T[P] }, never, P>;
}[keyof T];
type IfEquals<X, Y, A, B> = (<G>() => G extends X ? 1 : 2) extends <G>() => G extends Y ? 1 : 2 ? A : B;

export type Asset = Sent<S["Asset"]>;
export type SchedulerInfo = Sent<S["SchedulerInfo"]>;
export type ImageMetadata = Sent<S["ImageMetadata"]>;
export type AssetPage = Sent<S["AssetPage"]>;
export type AssetsDeleted = Sent<S["AssetsDeleted"]>;
export type Session = Sent<S["Session"]>;
export type SessionsData = Sent<S["SessionsData"]>;
export type Preferences = Sent<S["AppSettings"]>;
export type ServiceUrl = Sent<S["ServiceUrl"]>;
export type RequestLog = Sent<S["RequestLog"]>;
export type RequestLogPage = Sent<S["LogPage"]>;
export type JobAccepted = Sent<S["JobAccepted"]>;
export type Deleted = Sent<S["Deleted"]>;

/** A job as `GET /api/jobs/{id}` shows it. */
export type Job = Sent<S["JobView"]>;
export type JobPage = Sent<S["JobPage"]>;
export type JobKindInfo = Sent<S["JobKindInfo"]>;
export type JobMedia = Sent<S["MediaRef"]>;
export type JobStatus = S["JobStatus"];
export const ACTIVE_STATUSES: JobStatus[] = ["queued", "running"];
export const isActive = (s: JobStatus | string | undefined) => s === "queued" || s === "running";

export type Health = Sent<S["Health"]>;
export type SystemStatus = Sent<S["SystemStatus"]>;
export type Workers = Sent<S["Workers"]>;
export type WorkerInfo = Sent<S["WorkerInfo"]>;
export type GpuInfo = Sent<S["GpuStatus"]>;

/** POST /api/jobs (local and remote models). */
export type ImageJobRequest = S["ImageJobRequest"];
export type ReferenceImage = S["ReferenceImage"];
/** One ControlNet input of an image job; the ControlNets and preprocessors (GET /api/control/models). */
export type ControlInput = S["ControlInput"];
export type ControlModels = Sent<S["ControlModels"]>;
export type PreprocessRequest = S["PreprocessRequest"];
/** A LoRA as the form holds it: the weight always set. */
export type LoraChoice = Required<S["LoraRef"]>;

/** A page of a list endpoint that has no response model yet (see `Page_*` / `JobPage` for those that do). */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A local catalogue entry as `/api/models/detailed` lists it (with its cache size and last use). */
export type LocalModel = Sent<S["LocalModelDetail"]>;
/** A remote model as `/api/models` lists it beside the local ones (RemoteEngine.describe_models). */
export type RemoteModel = Sent<S["RemoteModelInfo"]>;
/** What a model picker offers: a local entry or a remote one, told apart by `type === "remote"`. */
export type ModelInfo = LocalModel | RemoteModel;
export type ModelCategory = LocalModel["category"];

/** `POST /api/models`: a local diffusers folder or weights file to add (the family is read from it when `type` is left out). */
export type AddModelRequest = S["AddModelRequest"];
/** A catalogue entry as `/api/models` lists it (and `POST /api/models` answers). */
export type LocalModelInfo = Sent<S["LocalModelInfo"]>;
/** A ComfyUI or A1111/Forge `models` folder used in place (`/api/models/folders`), with each file found in it. */
export type FamilyInfo = Sent<S["FamilyInfo"]>;
export type ModelFolderInfo = Sent<S["ModelFolderInfo"]>;

/** `/api/models/cache-status`: the memory budget, the loaded models and the downloaded hub ids. */
export type CacheStatus = Sent<S["CacheStatus"]>;

/** A LoRA file; `model_types` lists the model types (sd, sdxl, sd3, flux) it can be used with. */
export type Lora = Sent<S["Lora"]>;

/** `/api/system/can-generate/{id}`; `plan` says how the model would be placed (device or offload) and why. */
export type CanGenerate = Sent<S["CanGenerate"]>;
export type MemoryPlan = Sent<S["MemoryPlanInfo"]>;

/** `/api/limits`: an image request's bounds, read from the server's request model (the UI keeps no copy). */
export type RequestLimits = Sent<S["RequestLimits"]>;

/** A style preset: `template` holds "{prompt}" where the user's prompt goes; `negative` is added to the negative prompt. */
export type StylePreset = Sent<S["StylePreset"]>;

/** `/api/models/downloads`: the model download jobs (newest first); the model id is in `params.model`. */
export type ModelDownload = Sent<S["ModelDownload"]>;
