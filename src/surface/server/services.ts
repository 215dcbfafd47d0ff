/**
 * Every long-running service the server starts and stops with itself, in start order.
 * Later stages (detection, correlation, response ...) add one factory here.
 */
import type { ServiceFactory } from './context.js';
import { sourcesService } from './sources-service.js';
import { engineService } from '../../app/service.js';
import { responseService } from '../../respond/service.js';

export const SERVICES: readonly ServiceFactory[] = [sourcesService, engineService, responseService];
