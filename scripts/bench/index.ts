/**
 * `npm run bench`: every benchmark, figures measured side by side in one run.
 * Not a test: nothing here fails on a number; it prints what it measured.
 */
import { runEngineBench } from './engine.js';
import { runFormulaBench } from './formulas.js';
import { benchGateway } from './gateway.js';
import { benchHttp } from './http.js';
import { benchStartup } from './startup.js';

await runEngineBench();
console.log('');
await runFormulaBench();
console.log('');
await benchGateway();
console.log('');
await benchHttp();
console.log('');
await benchStartup();
console.log('');
await (await import('./hostile.js')).benchHostile();
