import { X509Certificate } from 'node:crypto';
import { RENEW_BEFORE_DAYS } from './certificates.js';
import { daysLeft, isDue } from './inspect.js';

/** The certificates `eectl certs status` lists, by what they are for. */
export type CertKind =
  | 'cluster-ca'
  | 'api-server'
  | 'registry'
  | 'token-signing'
  | 'ingress-watcher'
  | 'client-bundle'
  | 'swarm-ca'
  | 'swarm-node';

/** How each kind reads in a table and a warning. */
export const CERT_KIND_LABEL: Record<CertKind, string> = {
  'cluster-ca': 'cluster CA',
  'api-server': 'API server certificate',
  registry: 'registry certificate',
  'token-signing': 'token-signing certificate',
  'ingress-watcher': "ingress watcher's client certificate",
  'client-bundle': 'client bundle',
  'swarm-ca': 'swarm CA',
  'swarm-node': 'swarm node certificate',
};

/** What to do when a certificate of this kind is due: the one command that renews it. */
export const CERT_REMEDY: Record<CertKind, string> = {
  'cluster-ca': 'plan a new cluster CA (every client bundle must then be issued again)',
  'api-server': 'eectl certs rotate (or eectl install) renews it',
  registry: 'eectl certs rotate (or eectl install) renews it',
  'token-signing': 'eectl certs rotate (or eectl install) renews it',
  'ingress-watcher': 'eectl certs rotate (or eectl install) renews it',
  'client-bundle': 'issue it again with eectl client-config',
  'swarm-ca': 'eectl certs rotate --swarm-ca',
  'swarm-node': 'the swarm renews it by itself; eectl certs rotate --swarm-ca issues new ones',
};

/** One certificate's expiry: what it is, where it was read, and how long it has left. */
export interface CertExpiry {
  kind: CertKind;
  /** Whose: a host's address, a user, or the cluster's name for cluster-wide ones. */
  owner: string;
  /** Where it was read: `10.0.0.11:/etc/eectl/pki/server-cert.pem`, a bundle directory, `docker info`. */
  where: string;
  subject: string;
  /** Serial number, hex, as the certificate carries it. */
  serial: string;
  notAfter: string;
  daysLeft: number;
  /** In its last RENEW_BEFORE_DAYS (or expired). */
  due: boolean;
}

/** A certificate's row, or undefined when the text is not a certificate (the caller says so elsewhere). */
export function certExpiry(
  kind: CertKind,
  owner: string,
  where: string,
  pem: string,
  now = new Date(),
): CertExpiry | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return undefined;
  }
  const notAfter = new Date(cert.validTo);
  return {
    kind,
    owner,
    where,
    subject: cert.subject.replace(/\n/g, ', '),
    serial: cert.serialNumber.toLowerCase(),
    notAfter: notAfter.toISOString(),
    daysLeft: daysLeft(notAfter, now),
    due: isDue(notAfter, now),
  };
}

/** Kinds in the order the table lists them: the CAs first, then servers, then clients. */
const ORDER: CertKind[] = [
  'cluster-ca',
  'api-server',
  'registry',
  'token-signing',
  'ingress-watcher',
  'client-bundle',
  'swarm-ca',
  'swarm-node',
];

/** The table's order: by kind, then by days left (soonest first), then by owner. */
export function sortExpiries(rows: readonly CertExpiry[]): CertExpiry[] {
  return [...rows].sort(
    (a, b) =>
      ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) ||
      a.daysLeft - b.daysLeft ||
      a.owner.localeCompare(b.owner),
  );
}

/**
 * One warning per certificate in its last RENEW_BEFORE_DAYS (30) or expired, soonest first: what it is,
 * whose, the day it ends and what renews it.
 */
export function expiryWarnings(rows: readonly CertExpiry[]): string[] {
  return [...rows]
    .filter((r) => r.due)
    .sort((a, b) => a.daysLeft - b.daysLeft)
    .map((r) => {
      const when =
        r.daysLeft < 0
          ? `expired ${-r.daysLeft} day${r.daysLeft === -1 ? '' : 's'} ago`
          : `expires in ${r.daysLeft} day${r.daysLeft === 1 ? '' : 's'}`;
      return `${CERT_KIND_LABEL[r.kind]} of ${r.owner} ${when} (${r.notAfter.slice(0, 10)}): ${CERT_REMEDY[r.kind]}`;
    });
}

/** The warning window, for help texts and the README. */
export const WARN_BEFORE_DAYS = RENEW_BEFORE_DAYS;
