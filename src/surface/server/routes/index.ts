/**
 * Every HTTP route module of the server, in registration order. Adding a stage's API =
 * one module (a RouteModule, scope 'api' for anything under /api) + one line here.
 */
import type { RouteModule } from '../context.js';
import { eventsRoutes } from './events.js';
import { healthRoutes } from './health.js';
import { hecRoutes } from './hec.js';
import { metricsRoutes } from './metrics.js';
import { incidentsRoutes } from './incidents.js';
import { consoleRoutes } from './console.js';
import { sessionRoutes } from './session.js';
import { streamRoutes } from './stream.js';
import { savedSearchRoutes } from './saved-searches.js';
import { coverageRoutes } from './coverage.js';
import { rulesRoutes } from './rules.js';
import { investigationRoutes } from './investigation.js';
import { intelRoutes } from './intel.js';
import { actionsRoutes } from './actions.js';
import { auditRoutes } from './audit.js';
import { policyRoutes } from './policy.js';
import { detectorsRoutes } from './detectors.js';
import { surfaceRoutes } from './surface.js';

export const ROUTES: readonly RouteModule[] = [healthRoutes, metricsRoutes, hecRoutes, eventsRoutes, sessionRoutes, streamRoutes, savedSearchRoutes, incidentsRoutes, consoleRoutes, coverageRoutes, rulesRoutes, investigationRoutes, intelRoutes, actionsRoutes, auditRoutes, policyRoutes, detectorsRoutes, surfaceRoutes];
