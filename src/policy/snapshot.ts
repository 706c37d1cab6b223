/** Loads snapshot files (`kubectl get -o yaml|json` output, multi-document YAML) for the engine. */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import {
  convertObject,
  defaultNamespace,
  describeRawObject,
  PolicyInputError,
  type IngressInfo,
  type NamespaceInfo,
  type PodInfo,
  type PolicyInfo,
  type ServiceInfo,
} from './model.js';

/** Everything the engine and the linter read from a cluster. */
export interface Snapshot {
  namespaces: NamespaceInfo[];
  pods: PodInfo[];
  policies: PolicyInfo[];
  services: ServiceInfo[];
  ingresses: IngressInfo[];
  /** Namespaces referenced by objects but not listed, added with default labels. */
  defaultedNamespaces: string[];
}

/** A raw object and the file it came from. */
export interface SourcedObject {
  raw: unknown;
  source: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flattens `kind: List` (and typed lists such as PodList, whose items carry no kind). */
function flatten(doc: unknown): unknown[] {
  if (
    !isRecord(doc) ||
    typeof doc.kind !== 'string' ||
    !doc.kind.endsWith('List') ||
    !Array.isArray(doc.items)
  )
    return [doc];
  const itemKind = doc.kind === 'List' ? undefined : doc.kind.slice(0, -'List'.length);
  return doc.items.flatMap((item: unknown) =>
    flatten(isRecord(item) && item.kind === undefined && itemKind ? { ...item, kind: itemKind } : item),
  );
}

/** Parses one file's text (YAML, multi-document YAML or JSON) into raw objects. */
export function parseSnapshotText(text: string, source: string): SourcedObject[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return []; // an empty stream
  const objects: SourcedObject[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0].line;
      throw new PolicyInputError(
        '',
        line === undefined ? '' : `line ${line}`,
        `invalid YAML/JSON: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
        source,
      );
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue; // an empty document ("---" at the end)
    objects.push(...flatten(value).map((raw) => ({ raw, source })));
  }
  return objects;
}

function key(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Builds a snapshot from raw objects; a later object with the same kind and name wins. */
export function buildSnapshot(objects: readonly SourcedObject[]): Snapshot {
  const byKey = new Map<string, ReturnType<typeof convertObject>>();
  const perSource = new Map<string, number>();
  for (const { raw, source } of objects) {
    // Objects without a name are told apart by their position in their file.
    const position = perSource.get(source) ?? 0;
    perSource.set(source, position + 1);
    let converted;
    try {
      converted = convertObject(raw);
    } catch (error) {
      if (error instanceof PolicyInputError) {
        throw new PolicyInputError(describeRawObject(raw, position), error.field, error.detail, source);
      }
      throw error;
    }
    if (!converted) continue;
    const ns = 'namespace' in converted.value ? converted.value.namespace : '';
    byKey.set(key(converted.kind, ns, converted.value.name), converted);
  }
  const snapshot: Snapshot = {
    namespaces: [],
    pods: [],
    policies: [],
    services: [],
    ingresses: [],
    defaultedNamespaces: [],
  };
  for (const item of byKey.values()) {
    if (item?.kind === 'Namespace') snapshot.namespaces.push(item.value);
    else if (item?.kind === 'Pod') snapshot.pods.push(item.value);
    else if (item?.kind === 'NetworkPolicy') snapshot.policies.push(item.value);
    else if (item?.kind === 'Service') snapshot.services.push(item.value);
    else if (item?.kind === 'Ingress') snapshot.ingresses.push(item.value);
  }
  const known = new Set(snapshot.namespaces.map((ns) => ns.name));
  const referenced = [
    ...snapshot.pods,
    ...snapshot.policies,
    ...snapshot.services,
    ...snapshot.ingresses,
  ].map((o) => o.namespace);
  for (const name of referenced) {
    if (known.has(name)) continue;
    known.add(name);
    snapshot.namespaces.push(defaultNamespace(name));
    snapshot.defaultedNamespaces.push(name);
  }
  return snapshot;
}

/** Reads and merges snapshot files; throws PolicyInputError naming the file and object. */
export async function loadSnapshot(files: readonly string[]): Promise<Snapshot> {
  const objects: SourcedObject[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = isRecord(error) && typeof error.code === 'string' ? error.code : 'read error';
      throw new PolicyInputError('', '', `cannot read file (${code})`, file);
    }
    objects.push(...parseSnapshotText(text, file));
  }
  return buildSnapshot(objects);
}
