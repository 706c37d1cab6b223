import { isIPv4, isIPv6 } from 'node:net';

// Limits from glibc's <resolv.h>: MAXNS, RES_MAXNDOTS, RES_MAXRETRANS, RES_MAXRETRY.
const MAX_NAMESERVERS = 3;
const MAX_NDOTS = 15;
const MAX_TIMEOUT_SECONDS = 30;
const MAX_ATTEMPTS = 5;

/** What glibc's resolver takes from resolv.conf (the parts that decide which queries are sent). */
export interface ResolvConf {
  /** Up to 3 addresses (glibc's MAXNS); 127.0.0.1 when the file names none, as in glibc. */
  nameservers: string[];
  /** The search list; `domain` sets a one-entry list. Unlimited length, as in glibc >= 2.26. */
  search: string[];
  ndots: number;
  timeoutSeconds: number;
  attempts: number;
  /** `options no-tld-query`: a dotless name is never tried as is after the search list. */
  noTldQuery: boolean;
  rotate: boolean;
  edns0: boolean;
  useVc: boolean;
}

/** Options of one search-list expansion. */
export interface ExpandOptions {
  search: readonly string[];
  ndots: number;
  noTldQuery?: boolean;
}

/** Where a candidate sits in glibc's search order; the prober's stop rules depend on it. */
export type CandidateRole = 'as-is-first' | 'search' | 'as-is-last';

/** One name the resolver will query, in order. */
export interface Candidate {
  /** Absolute name without the trailing dot. */
  name: string;
  role: CandidateRole;
}

/** glibc's MATCH(): the keyword must be followed by a space or a tab. */
function keywordArgs(line: string, keyword: string): string | undefined {
  if (!line.startsWith(keyword)) return undefined;
  const next = line.charAt(keyword.length);
  return next === ' ' || next === '\t' ? line.slice(keyword.length) : undefined;
}

function tokens(text: string): string[] {
  return text.split(/[ \t]+/).filter((t) => t.length > 0);
}

/** C atoi(): optional sign and leading digits, 0 when there are none. */
function atoi(text: string): number {
  const match = /^[ \t]*([+-]?\d+)/.exec(text);
  return match?.[1] === undefined ? 0 : Number.parseInt(match[1], 10);
}

function clampOption(value: number, max: number): number {
  return Math.max(0, Math.min(value, max));
}

function parseNameserver(args: string): string | undefined {
  const address = tokens(args)[0];
  if (address === undefined) return undefined;
  if (isIPv4(address)) return address;
  // glibc drops an IPv6 zone (%eth0) before parsing the address.
  const withoutZone = address.split('%')[0] ?? '';
  return isIPv6(withoutZone) ? withoutZone : undefined;
}

function applyOptions(conf: ResolvConf, args: string): void {
  for (const option of tokens(args)) {
    if (option.startsWith('ndots:')) conf.ndots = clampOption(atoi(option.slice(6)), MAX_NDOTS);
    else if (option.startsWith('timeout:'))
      conf.timeoutSeconds = clampOption(atoi(option.slice(8)), MAX_TIMEOUT_SECONDS);
    else if (option.startsWith('attempts:')) conf.attempts = clampOption(atoi(option.slice(9)), MAX_ATTEMPTS);
    else if (option.startsWith('no-tld-query') || option.startsWith('no_tld_query')) conf.noTldQuery = true;
    else if (option.startsWith('rotate')) conf.rotate = true;
    else if (option.startsWith('edns0')) conf.edns0 = true;
    else if (option.startsWith('use-vc')) conf.useVc = true;
  }
}

/** Applies one non-comment line; unknown keywords are ignored, as in glibc. */
function applyLine(conf: ResolvConf, nameservers: string[], line: string): void {
  const domain = keywordArgs(line, 'domain');
  const search = keywordArgs(line, 'search');
  const nameserver = keywordArgs(line, 'nameserver');
  const options = keywordArgs(line, 'options');
  // An empty domain/search line is ignored, so it does not clear an earlier list.
  if (domain !== undefined && tokens(domain).length > 0) conf.search = tokens(domain).slice(0, 1);
  else if (search !== undefined && tokens(search).length > 0) conf.search = tokens(search);
  else if (nameserver !== undefined) {
    const address = parseNameserver(nameserver);
    if (address !== undefined) nameservers.push(address);
  } else if (options !== undefined) applyOptions(conf, options);
}

/**
 * Parses resolv.conf text as glibc (>= 2.26) does: `#`/`;` comment lines, the last `domain` or
 * `search` line wins, `options ndots:N timeout:N attempts:N` are capped at 15/30/5. With no
 * search or domain line, the domain of `hostname` (after its first dot) is the search list.
 */
export function parseResolvConf(text: string, hostname = ''): ResolvConf {
  const conf: ResolvConf = {
    nameservers: [],
    search: [],
    ndots: 1,
    timeoutSeconds: 5,
    attempts: 2,
    noTldQuery: false,
    rotate: false,
    edns0: false,
    useVc: false,
  };
  const nameservers: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith(';')) continue;
    applyLine(conf, nameservers, line);
  }
  conf.nameservers = nameservers.length > 0 ? nameservers.slice(0, MAX_NAMESERVERS) : ['127.0.0.1'];
  const dot = hostname.indexOf('.');
  if (conf.search.length === 0 && dot >= 0 && dot < hostname.length - 1)
    conf.search = [hostname.slice(dot + 1)];
  return conf;
}

function withoutTrailingDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * The queries glibc's res_search sends for `name`, in order, with each one's role. A name ending
 * in '.' is tried only as is; a name with >= ndots dots is tried as is first, then with each
 * search suffix; otherwise each suffix first, then as is (unless no-tld-query applies to a dotless
 * name, or the root domain '.' was in the search list and so already produced the as-is query).
 */
export function searchCandidates(name: string, options: ExpandOptions): Candidate[] {
  const dots = name.split('.').length - 1;
  if (name.endsWith('.')) return [{ name: withoutTrailingDot(name), role: 'as-is-first' }];
  const candidates: Candidate[] = [];
  const triedAsIs = dots >= options.ndots;
  if (triedAsIs) candidates.push({ name, role: 'as-is-first' });
  let rootOnList = false;
  for (const entry of options.search) {
    // glibc strips one leading '.', so '.' means the root domain and yields the name itself.
    const suffix = entry.startsWith('.') ? entry.slice(1) : entry;
    if (suffix === '') rootOnList = true;
    candidates.push({ name: withoutTrailingDot(`${name}.${suffix}`), role: 'search' });
  }
  const searched = options.search.length > 0;
  const tldAllowed = dots > 0 || !searched || options.noTldQuery !== true;
  if (tldAllowed && !triedAsIs && !rootOnList) candidates.push({ name, role: 'as-is-last' });
  return candidates;
}

/** The candidate FQDNs (without trailing dot) for `name`, in the order glibc tries them. */
export function expandName(name: string, options: ExpandOptions): string[] {
  return searchCandidates(name, options).map((c) => c.name);
}

/**
 * The cluster domain implied by a Kubernetes pod's search list (`<ns>.svc.<domain> svc.<domain>
 * <domain>`): the part after the first `svc.` entry, else after `.svc.` in any entry, else `fallback`.
 */
export function clusterDomainFromSearch(search: readonly string[], fallback: string): string {
  const normalized = search.map((s) => withoutTrailingDot(s.toLowerCase()));
  const direct = normalized.find((s) => s.startsWith('svc.') && s.length > 4);
  if (direct !== undefined) return direct.slice(4);
  for (const entry of normalized) {
    const at = entry.indexOf('.svc.');
    if (at >= 0 && at + 5 < entry.length) return entry.slice(at + 5);
  }
  return withoutTrailingDot(fallback.toLowerCase());
}
