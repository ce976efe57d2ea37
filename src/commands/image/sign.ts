import { Args, Flags } from '@oclif/core';
import { signImage } from '../../lib/actions/image.js';
import type { SignResult } from '../../lib/results/image.js';
import { BaseCommand } from '../../lib/base-command.js';
import { UsageError } from '../../lib/errors.js';
import { askSecret } from '../../lib/util/prompts.js';

export default class ImageSign extends BaseCommand<typeof ImageSign> {
  static override summary = "Sign an image's digest with a cosign key, in the cluster registry";
  static override description = `Resolves IMAGE to its digest in the cluster registry, signs that digest with a cosign key (ECDSA P-256, as \`cosign generate-key-pair\` writes it) and stores the signature next to the image, as cosign does (the tag sha256-<hex>.sig): \`cosign verify --key\` accepts it, and eectl image verify and the managers accept signatures made by \`cosign sign --key\`.

The key's password comes from COSIGN_PASSWORD (as cosign reads it), or a prompt on a terminal. Registry credentials come from EECTL_REGISTRY_USERNAME and EECTL_REGISTRY_PASSWORD, or from \`docker login\` (the docker config's auths). The registry's certificate is checked against the cluster CA (this machine's copy, or --ca). Signing is key-based only: keyless signing (Fulcio, Rekor) needs services a cluster like this cannot reach.`;
  static override examples = [
    'COSIGN_PASSWORD=… <%= config.bin %> <%= command.id %> 10.0.0.31:5443/team/app:1.0 --key release.key',
    '<%= config.bin %> <%= command.id %> 10.0.0.31:5443/team/app@sha256:4f… --key release.key --json',
  ];
  static override args = {
    image: Args.string({ description: 'Image in the cluster registry (tag or digest)', required: true }),
  };
  static override flags = {
    key: Flags.string({ description: 'cosign private key file', required: true }),
    ca: Flags.string({ description: "CA certificate for the registry (default this machine's cluster CA)" }),
  };

  async run(): Promise<SignResult> {
    const { config } = await this.loadCluster();
    const result = await signImage({
      config,
      log: this.log_,
      image: this.args.image,
      keyFile: this.flags.key,
      ...(this.flags.ca !== undefined && { caFile: this.flags.ca }),
      password: async () => {
        if (process.env.COSIGN_PASSWORD !== undefined) return process.env.COSIGN_PASSWORD;
        if (this.interactive) return askSecret(`Password for ${this.flags.key}:`);
        throw new UsageError(`no password for ${this.flags.key}`, {
          code: 'ECOSIGN_PASSWORD',
          suggestions: ['Set COSIGN_PASSWORD (an empty value for a key without a password).'],
        });
      },
    });
    if (!this.jsonEnabled()) {
      this.log(`${result.added ? 'Signed' : 'Already signed with this key:'} ${result.image}`);
      this.log(`  signature: ${result.signatureTag}`);
    }
    return result;
  }
}
