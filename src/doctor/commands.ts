/** The "next command" of a finding: a kubectl line with the real names, safe to paste into a shell. */

const SAFE_WORD = /^[A-Za-z0-9._:/=,@+%-]+$/;

/** Quotes a word for a POSIX shell when it holds anything beyond plain name characters. */
export function shellWord(word: string): string {
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `kubectl -n NS ARGS...` (no -n for cluster-scoped objects), every argument quoted as needed. */
export function kubectl(namespace: string, ...args: string[]): string {
  const ns = namespace === '' ? [] : ['-n', shellWord(namespace)];
  return ['kubectl', ...ns, ...args.map(shellWord)].join(' ');
}

/** The EndpointSlices of a Service: where ready/not-ready endpoints and published ports show. */
export function sliceCommand(namespace: string, service: string): string {
  return kubectl(
    namespace,
    'get',
    'endpointslices',
    '-l',
    `kubernetes.io/service-name=${service}`,
    '-o',
    'wide',
  );
}
