import { describe, expect, it } from 'vitest';
import { Lifecycle, StopFailedError } from '../../src/lifecycle.ts';

describe('Lifecycle', () => {
  it('stops in reverse start order, carries on past a part that fails and reports every failure', async () => {
    const life = new Lifecycle();
    const stopped: string[] = [];
    for (const name of ['lock', 'server', 'sink', 'collection']) {
      life.started(name, () => {
        stopped.push(name);
        if (name === 'server' || name === 'collection') {
          throw new Error(`${name} stuck`);
        }
      });
    }
    const failure = await life.stop().catch((error: unknown) => error);
    expect(stopped).toEqual(['collection', 'sink', 'server', 'lock']);
    expect(failure).toBeInstanceOf(StopFailedError);
    expect((failure as StopFailedError).parts).toEqual(['collection', 'server']);
    expect((failure as Error).message).toBe(
      '2 part(s) failed to stop: collection (collection stuck); server (server stuck)',
    );
    // Once: a second stop waits for the same outcome and stops nothing again.
    await expect(life.stop()).rejects.toBe(failure);
    expect(stopped).toHaveLength(4);
  });

  it('unwinds what started when start-up fails part-way, and rethrows the start-up error', async () => {
    const life = new Lifecycle();
    const stopped: string[] = [];
    const bindError = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    const outcome = await life
      .run(async () => {
        await life.start(
          'lock',
          () => 'held',
          (value) => void stopped.push(`lock ${value}`),
        );
        await life.start(
          'relay',
          async () => undefined,
          () => void stopped.push('relay'),
        );
        await life.start(
          'server',
          () => Promise.reject(bindError),
          () => void stopped.push('server'),
        );
        life.started('collection', () => void stopped.push('collection'));
        return 'started';
      })
      .catch((error: unknown) => error);
    expect(outcome).toBe(bindError);
    // The part whose start threw had nothing to undo; nothing after it ever started.
    expect(stopped).toEqual(['relay', 'lock held']);
    expect(() => life.started('late', () => undefined)).toThrow(/stopping/);
  });

  it('tells which part is stopping and which are left', async () => {
    const life = new Lifecycle();
    let release: () => void = () => undefined;
    life.started('first', () => undefined);
    life.started('slow', () => new Promise<void>((resolve) => (release = resolve)));
    life.started('last', () => undefined);
    const stopping = life.stop();
    await Promise.resolve();
    await Promise.resolve();
    expect(life.progress()).toEqual({ current: 'slow', remaining: ['first'] });
    release();
    await stopping;
    expect(life.progress()).toEqual({ current: null, remaining: [] });
  });
});
