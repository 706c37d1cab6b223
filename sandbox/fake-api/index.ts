/**
 * A fake Kubernetes API server for netprobe's tests and demo, speaking enough of the real protocol
 * that the unmodified @kubernetes/client-node (CoreV1Api, makeInformer, ListWatch) and kubectl work.
 *
 *   const api = await startFakeApi({ tokens: { 'tok-node': 'system:serviceaccount:netprobe:netprobe-node' } });
 *   api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netprobe' } });
 *   kc.loadFromString(api.kubeconfig());          // or api.writeKubeconfig(path, 'tok-node')
 *   api.faults.dropWatches(); api.faults.expireHistory(); api.faults.failNext(1, 503);
 *
 * Where it differs from a real apiserver: JSON only (kubectl's typed `create configmap` sends protobuf
 * and gets 415; `kubectl apply` needs --validate=false as there is no OpenAPI); no server-side apply,
 * finalizers, admission, defaulting or schema validation beyond metadata; strategic merge patch is a
 * merge patch; list paging is not a snapshot (later pages show the current state); a deleted namespace
 * takes its objects at once; kubectl (client-go) sends tokens only over TLS, so use `tls: true` for it.
 */
export {
  ADMIN_USER,
  startFakeApi,
  type AuthorizeRequest,
  type FakeApi,
  type FakeApiOptions,
  type RequestRecord,
} from './server.js';
export type { Faults, RequestInfo, RequestMatch, Verb } from './faults.js';
export type { KubeObject, ObjectMeta } from './objects.js';
export type { FakeStore, Origin, StoreEvent, StoreListener } from './store.js';
export { KINDS, type KindName } from './resources.js';
