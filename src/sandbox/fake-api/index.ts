/** The fake Kubernetes API server used by netprobe's tests and demo. */
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
