import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `startApp` of the build at `distUrl`: dist/app/start-app.js since the composition left main.js, and
 * main.js in older builds, so G6_BENCH_DIST can still point at a build from before the move.
 */
export async function startAppOf(distUrl) {
  const current = new URL('app/start-app.js', distUrl);
  const module = await import(existsSync(fileURLToPath(current)) ? current : new URL('main.js', distUrl));
  return module.startApp;
}
