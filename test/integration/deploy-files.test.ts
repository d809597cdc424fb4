import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The deployment files users copy are validated by the tools that read them (no Docker engine needed). */
describe('deployment files', () => {
  it('docker-compose.yml is valid and runs Redis, one collector and two API replicas', () => {
    // Debian's docker-compose (installed by scripts/ensure-test-services.sh) validates without an engine.
    const services = execFileSync('docker-compose', ['config', '--services'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    expect(services).toEqual(['api-1', 'api-2', 'collector', 'redis']);
    const config = execFileSync('docker-compose', ['config'], { encoding: 'utf8' });
    expect(config.match(/- --role\n\s+- api\n/g)).toHaveLength(2);
    expect(config.match(/- --role\n\s+- collector\n/g)).toHaveLength(1);
    expect(config.match(/G6_REDIS_URL: redis:\/\/redis:6379/g)).toHaveLength(3);
    // Replicas read the collector's store for history, and never write it.
    expect(config.match(/- g6-data:\/app\/data:ro\n/g)).toHaveLength(2);
    expect(config.match(/- g6-data:\/app\/data:rw\n/g)).toHaveLength(1);
  });
});
