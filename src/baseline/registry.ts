/**
 * The explicit, typed map of baseline models. Adding a model = one folder under models/ and one
 * line here (no discovery by file name). The order is the order the stage runs them in.
 */
import { rarityModel } from './models/rarity/model.js';
import { peerModel } from './models/peer/model.js';
import { timeModel } from './models/time/model.js';
import { volumeModel } from './models/volume/model.js';
import { beaconingModel } from './models/beaconing/model.js';
import { dnsModel } from './models/dns/model.js';
import { authModel } from './models/auth/model.js';

export const MODELS = {
  rarity: rarityModel,
  peer: peerModel,
  time: timeModel,
  volume: volumeModel,
  beaconing: beaconingModel,
  dns: dnsModel,
  auth: authModel,
} as const;

export type ModelName = keyof typeof MODELS;
export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];
