/**
 * Every HTTP route module of the server, in registration order. Adding a stage's API =
 * one module (a RouteModule, scope 'api' for anything under /api) + one line here.
 */
import type { RouteModule } from '../context.js';
import { eventsRoutes } from './events.js';
import { healthRoutes } from './health.js';
import { hecRoutes } from './hec.js';
import { metricsRoutes } from './metrics.js';

export const ROUTES: readonly RouteModule[] = [healthRoutes, metricsRoutes, hecRoutes, eventsRoutes];
