import type { CertifiedKey } from './certificates.js';

/** What one manager needs for the engine API, decided from its facts before anything changes. */
export interface ManagerApiPlan {
  /** The manager has no copy of the cluster CA yet: write its certificate (and the key of a generated CA). */
  writeCa: boolean;
  /**
   * A cluster CA rotation's trust bundle (old and new CA) for the manager's CA file, the key left as it
   * is: the engine reads it when it restarts, so it is a restart like any change to the API files.
   */
  writeTrust?: string;
  /** The manager holds the key of a supplied CA (an older eectl copied it there): remove it. */
  removeCaKey?: boolean;
  /** A new server certificate and key, and why the one the manager has will not do. */
  serverCert?: CertifiedKey & { reason: string };
  /** The drop-in's content, when the manager's differs (or is missing). */
  dropIn?: string;
  /** A restart left pending by an earlier run (the marker file is there). */
  restartPending: boolean;
}

/** The control plane's part of an install: the CA every place agrees on and each manager's plan. */
export interface ControlPlanePlan {
  /**
   * The cluster CA; the key is there only when this run had to read it (something to sign or copy).
   * `supplied`: the CA of controlPlane.ca, whose key never leaves the operator's machine (certificates are
   * signed here); a CA eectl generated lives on every manager, so any operator machine can sign.
   */
  ca: {
    certPem: string;
    keyPem?: string | undefined;
    supplied: boolean;
    /**
     * What the cluster trusts when that is more than the CA that signs: during a cluster CA rotation the
     * old and the new CA (`certs rotate --cluster-ca`). Every CA file eectl writes holds this, when set.
     */
    trustPem?: string | undefined;
  };
  managers: Map<string, ManagerApiPlan>;
}
