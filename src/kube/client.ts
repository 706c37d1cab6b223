import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../config/load.js';

/**
 * Loads a kubeconfig from a file, or the in-cluster service account when no file is given. A file
 * that cannot be read or parsed, or no API server address at all, is a configuration error (exit 2
 * naming the cause), not a fatal crash nor an informer retrying an invalid URL forever.
 */
/**
 * Loads a kubeconfig path, or a KUBECONFIG-style list of paths ("a:b"), merged as kubectl does
 * (the first file that sets the current context wins; missing files in a list are skipped).
 */
function loadFiles(kc: KubeConfig, paths: string): void {
  if (existsSync(paths) || !paths.includes(delimiter)) {
    kc.loadFromFile(paths);
    return;
  }
  const files = paths.split(delimiter).filter((p) => p !== '' && existsSync(p));
  if (files.length === 0) throw new Error(`none of the files in ${paths} exists`);
  files.forEach((file, i) => {
    if (i === 0) {
      kc.loadFromFile(file);
      return;
    }
    const other = new KubeConfig();
    other.loadFromFile(file);
    kc.mergeConfig(other, true);
  });
}

export function loadKubeConfig(kubeconfigPath: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  const source = kubeconfigPath ?? 'in-cluster config';
  if (kubeconfigPath) {
    try {
      loadFiles(kc, kubeconfigPath);
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
