// Public headless API: the segmenter client, its types and the error class. Nothing here loads onnxruntime.

export { createSegmenter } from './segmenter.js';
export { Sam2Mask } from './mask.js';
export type {
  CodecResult,
  CodecTimings,
  CutoutBackgroundImage,
  CutoutOptions,
  MaskBlobOptions,
  MaskCodec,
  MaskPngDepth,
  MaskPolygonOptions,
  Sam2MaskSource,
} from './mask.js';
export { trackVideo } from './tracking-session.js';
export type {
  TrackExport,
  TrackFrame,
  TrackFramePrompt,
  TrackMode,
  TrackOptions,
  TrackSource,
  TrackSummary,
  TrackedObject,
  TrackingSession,
} from './tracking-session.js';
export { getAssetLocations, setAssetLocations } from './assets.js';
export type { AssetLocations, ResolvedAssetLocations } from './assets.js';
export type {
  CallOptions,
  FrameInput,
  ImageSize,
  ImageSource,
  SegmentResult,
  Segmenter,
  SegmenterOptions,
  TrackCallOptions,
  Tracker,
  TrackerOptions,
} from './segmenter.js';
export { Sam2Error, isSam2Error } from '../shared/errors.js';
export { cacheInfo, clearCache } from '../shared/cache.js';
export type { CacheInfo } from '../shared/cache.js';
export { MODEL_PRESETS, resolveModel } from './presets.js';
export type { ModelPreset, PresetName } from './presets.js';
export type {
  BoxCornerLabel,
  DeviceOption,
  ImageEncodeTimings,
  MaskData,
  MaskOverlay,
  ModelProgress,
  PromptBox,
  PointLabel,
  PromptPoint,
  ReadyInfo,
  Sam2ErrorCode,
  SegmentPrompt,
  SegmentResultData,
  TrackFrameData,
  TrackObjectData,
  TrackPrompt,
  TrackPromptData,
  TrackerStats,
  TransferStats,
} from '../shared/types.js';
