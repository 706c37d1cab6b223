import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../config/load.js';

/**
 * Loads a kubeconfig from a file, or the in-cluster service account when no file is given. A file
 * that cannot be read or parsed, or no API server address at all, is a configuration error (exit 2
 * naming the cause), not a fatal crash nor an informer retrying an invalid URL forever.
 */
export function loadKubeConfig(kubeconfigPath: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  const source = kubeconfigPath ?? 'in-cluster config';
  if (kubeconfigPath) {
    try {
      kc.loadFromFile(kubeconfigPath);
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0] ?? '';
      throw new ConfigError(`${kubeconfigPath}: cannot load kubeconfig: ${reason}`);
    }
  } else {
    kc.loadFromCluster();
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new ConfigError(`${source}: kubeconfig has no current cluster with a server`);
  // client-node builds "https://undefined:undefined" when KUBERNETES_SERVICE_HOST/PORT are unset.
  if (!URL.canParse(server) || /^https?:\/\/undefined[:/]/.test(server)) {
    throw new ConfigError(
      kubeconfigPath
        ? `${kubeconfigPath}: invalid API server address ${JSON.stringify(server)}`
        : 'no --kubeconfig given, KUBECONFIG is not set, and not running in a cluster (KUBERNETES_SERVICE_HOST is not set)',
    );
  }
  return kc;
}
