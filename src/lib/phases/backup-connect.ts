import { tolerantConnectPhase } from './reset-connect.js';

/**
 * A backup needs only the managers it reads from and copies, so a host that cannot be reached does not stop
 * it here: the plan decides (a dead manager can be exactly why the swarm cannot spare another for the copy).
 */
export const backupConnectPhase = tolerantConnectPhase('');
