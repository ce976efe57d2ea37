/** One webhook endpoint's deliveries, summed over the relays on the registry hosts (`eectl status`). */
export interface WebhookEndpointStatus {
  name: string;
  url: string;
  /** Deliveries the receiver answered with 2xx. */
  delivered: number;
  /** Attempts that failed (no answer, or not 2xx); Distribution retries each. */
  failed: number;
  /** Events whose last attempt failed and that have not been delivered since. */
  pending: number;
  /** True while events are pending: the receiver is not taking them. */
  failing: boolean;
  /** The most recent attempt's error, while its endpoint fails. */
  lastError?: string;
  lastAttemptAt?: string;
}

/** The webhooks part of `eectl status` (only with spec.registry.notifications). */
export interface WebhookStatus {
  endpoints: WebhookEndpointStatus[];
  /** Registry hosts whose relay's counters could not be read, with why. */
  unread: { host: string; detail: string }[];
}
