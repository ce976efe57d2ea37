import type { NodeCertificate, SwarmCa } from './docker.js';

/**
 * The nodes whose certificate the swarm has not yet reissued under its current root CA: a node is done
 * when it reports the cluster's trust root and the issuer key the cluster now signs with. While swarmkit
 * still rotates (`RootRotationInProgress`), no node counts as done for the run's purpose.
 */
export function nodesBehindSwarmCa(ca: SwarmCa, nodes: readonly NodeCertificate[]): NodeCertificate[] {
  const same = (a: string, b: string) => a.trim() === b.trim();
  return nodes.filter(
    (n) => ca.rotating || !same(n.caCertPem, ca.caCertPem) || !same(n.issuerPublicKey, ca.issuerPublicKey),
  );
}
