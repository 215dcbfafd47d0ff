/**
 * A signal: something a detector noticed (a Sigma match, a correlation, an anomaly, an intel hit).
 * Signals are never shown to people on their own; correlation groups them into incidents.
 */
import type { EventEntities } from './event.js';

export type SignalKind = 'sigma' | 'sigma_correlation' | 'anomaly' | 'intel';
export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const LEVELS: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];

export interface AttackRef {
  /** Tactic ids (TA0002 ...). */
  tactics: string[];
  /** Technique / sub-technique ids (T1059, T1059.001 ...). */
  techniques: string[];
}

export interface Signal {
  id: string;
  tenant: string;
  kind: SignalKind;
  /** Rule id, correlation rule id, or model name. */
  detector: string;
  title: string;
  level: Level;
  /** 0..100. */
  score: number;
  /** Time of the (last) event that raised it, ms epoch. */
  time: number;
  createdAt: number;
  attack: AttackRef;
  /** Stored events that are the evidence for this signal. */
  eventIds: string[];
  entities: EventEntities;
  /** Detector-specific detail: matched fields, baseline expected vs seen, ... */
  details: Record<string, unknown>;
}
