import type { CertExpiry } from '../pki/expiry.js';
import type { ActionReport, ChangeReport } from './report.js';
import type { RollingPreview } from './rolling.js';

/** What `eectl certs status` reports (the `--json` result). */
export interface CertsStatusResult extends ActionReport {
  cluster: string;
  /** Every certificate read, by kind (CAs first), soonest to expire first within a kind. */
  certificates: CertExpiry[];
  /** Hosts, or places, whose certificates could not be read, and why. */
  unread: { where: string; message: string }[];
  /** One line per certificate in its last 30 days or expired, with what renews it. */
  warnings: string[];
}

/** One certificate `certs rotate` issues again, and what takes it up. */
export interface RotatedCertificate {
  what: string;
  /** The host, or `registry` / `swarm` for cluster-wide ones. */
  owner: string;
  /** How it is taken up: an engine restart through the rolling path, a service update, a unit restart. */
  takenUpBy: string;
}

/** What `certs rotate` will do, shown (and asked) before any change. */
export interface CertsRotatePlan {
  certificates: RotatedCertificate[];
  /** Engines restarted one at a time (rolling path), by host. */
  engineRestarts: string[];
  /** `docker swarm ca --rotate` and the wait for every node (--swarm-ca: then nothing else is rotated). */
  swarmCa: boolean;
  /** --cluster-ca: its first step (`start`: the new CA, trusted beside the old one) or `finish`. */
  clusterCa?: 'start' | 'finish';
}

/** A cluster CA, as the rotation names it. */
export interface CaSummary {
  subject: string;
  /** SHA-256 of the certificate (lowercase hex). */
  fingerprint: string;
  notAfter: string;
}

/** Where a cluster CA rotation (`certs rotate --cluster-ca`) stands after the run, and what is left to do. */
export interface ClusterCaRotation {
  /** `overlap`: both CAs trusted everywhere; `finished`: the new CA alone. */
  stage: 'overlap' | 'finished';
  old?: CaSummary;
  new: CaSummary;
  /** Recorded client bundles (issued-bundles.json) the old CA signed: issue each again with client-config. */
  reissue: { user: string; dir: string }[];
  /** What to do next, in order. */
  next: string[];
}

/** What `eectl certs rotate` reports (the `--json` result). */
export interface CertsRotateResult extends ChangeReport {
  cluster: string;
  plan: CertsRotatePlan;
  /** After the run: each rotated server certificate's new serial, by owner (empty under --dry-run). */
  serials: Record<string, string>;
  /** The swarm CA rotation, when asked: nodes that took the new certificate. */
  swarmCa?: { nodes: number; seconds: number };
  /** --cluster-ca: the rotation's stage and what is left to do. */
  clusterCa?: ClusterCaRotation;
  /** Under --dry-run: how the rolling restart would go. */
  rolling?: RollingPreview;
  warnings: string[];
}
