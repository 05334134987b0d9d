// Public headless API: the segmenter client, its types and the error class. Nothing here loads onnxruntime.

export { createSegmenter } from './client.js';
export { getAssetLocations, setAssetLocations } from './assets.js';
export type { AssetLocations, ResolvedAssetLocations } from './assets.js';
export type {
  CallOptions,
  FrameInput,
  ImageSize,
  ImageSource,
  Segmenter,
  SegmenterOptions,
  TrackCallOptions,
  Tracker,
  TrackerOptions,
} from './client.js';
export { Sam2Error, isSam2Error } from './errors.js';
export { cacheInfo, clearCache } from './cache.js';
export type { CacheInfo } from './cache.js';
export { MODEL_PRESETS, resolveModel } from './presets.js';
export type { ModelPreset, PresetName } from './presets.js';
export type {
  DeviceOption,
  MaskData,
  ModelProgress,
  PromptBox,
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
} from './types.js';
