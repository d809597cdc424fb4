import { API_SCOPES, type ApiScope, generateApiKey } from '../server/api-keys.ts';

/** `g6 keygen <name> [scope+scope]`: a new API key, and the G6_API_KEYS entry that admits it. */
export function runKeygen(argv: readonly string[]): number {
  const [name, scopeText = API_SCOPES.join('+'), ...rest] = argv;
  const scopes = scopeText.split('+');
  const bad = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (name === undefined || rest.length > 0 || bad.length > 0 || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    process.stderr.write(
      `Usage: g6 keygen <name> [scope+scope]   scopes: ${API_SCOPES.join(', ')} (default: all)\n` +
        '  prints a new API key (give it to the client; it is not stored) and its G6_API_KEYS entry\n',
    );
    return 2;
  }
  const { key, entry } = generateApiKey(name, scopes as ApiScope[]);
  process.stdout.write(`key (for the client, shown once): ${key}\nG6_API_KEYS entry: ${entry}\n`);
  return 0;
}
