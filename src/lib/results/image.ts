/** What `image sign` reports. */
export interface SignResult {
  image: string;
  digest: string;
  signatureTag: string;
  /** False when the same key had signed this digest already. */
  added: boolean;
}

/** What `image verify` reports. */
export interface VerifyResult {
  image: string;
  digest: string;
  verified: boolean;
  signedBy?: string;
  signatures: number;
  /** Why signatures found did not count. */
  rejected: string[];
  keys: string[];
}
