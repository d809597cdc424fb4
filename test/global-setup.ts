import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Builds dist/ once so the CLI tests run the program exactly as `npm start` does, and checks the
 * services the suite drives are installed (scripts/ensure-test-services.sh installs them).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  if (!existsSync('dist/main.js')) {
    throw new Error('build did not produce dist/main.js');
  }
}
