/**
 * Every long-running service the server starts and stops with itself, in start order.
 * Later stages (detection, correlation, response ...) add one factory here.
 */
import type { ServiceFactory } from './context.js';
import { sourcesService } from './sources-service.js';

export const SERVICES: readonly ServiceFactory[] = [sourcesService];
