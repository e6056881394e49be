export { MathModule } from './math.module.js';
export { MathController } from './math.controller.js';
export { startMathService } from './math-service.js';
export { Caller, CallerModule, type CallResult, type Connection } from './caller.module.js';
