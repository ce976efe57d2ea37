import type { Phase } from './runner/phase.js';
import { learnEnvSecrets, learnLocalSecrets } from '../support/secrets.js';
import type { SupportDumpContext } from './support-hosts.js';

/**
 * Registers with the redactor the secrets this machine knows: the environment variables the cluster file
 * names (passwords, S3 keys) and the local copy of the cluster CA's key. The managers' own secrets are
 * read with each manager's collection, the join tokens with the swarm's.
 */
export const supportSecretsPhase: Phase<SupportDumpContext> = {
  title: 'Learn the secrets to redact',
  async run(ctx, out) {
    const env = learnEnvSecrets(ctx.config);
    const local = await learnLocalSecrets(ctx.config.metadata.name);
    out.report('local', `${env} from the environment, ${local} local keys`);
  },
};
