import { Args, Flags } from '@oclif/core';
import { verifyImage } from '../../lib/actions/image.js';
import type { VerifyResult } from '../../lib/results/image.js';
import { BaseCommand } from '../../lib/base-command.js';
import { EectlError, ExitCode } from '../../lib/errors.js';

export default class ImageVerify extends BaseCommand<typeof ImageVerify> {
  static override summary = "Check an image's signature against the keys the cluster file trusts";
  static override description = `Resolves IMAGE to its digest in the cluster registry and checks the cosign signatures stored for that digest against spec.images.policy.keys (plus the keys trusted for --collection or --team). The digest is what counts: a tag moved to another image after signing is not signed. Exit 0 when a trusted key signed it, 1 with the reason otherwise.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> 10.0.0.31:5443/team/app:1.0',
    '<%= config.bin %> <%= command.id %> 10.0.0.31:5443/team/app@sha256:4f… --collection /Shared/team --json',
  ];
  static override args = {
    image: Args.string({ description: 'Image in the cluster registry (tag or digest)', required: true }),
  };
  static override flags = {
    collection: Flags.string({
      description: 'Also trust the keys of this collection (spec.images.policy.trust)',
    }),
    team: Flags.string({ description: 'Also trust the keys of this team', multiple: true }),
    ca: Flags.string({ description: "CA certificate for the registry (default this machine's cluster CA)" }),
  };

  async run(): Promise<VerifyResult> {
    const { config } = await this.loadCluster();
    const result = await verifyImage({
      config,
      log: this.log_,
      image: this.args.image,
      ...(this.flags.ca !== undefined && { caFile: this.flags.ca }),
      ...(this.flags.collection !== undefined && { collection: this.flags.collection }),
      teams: this.flags.team ?? [],
    });
    if (!result.verified) {
      const why =
        result.signatures === 0
          ? 'it has no signature'
          : `none of its ${result.signatures} signature(s) counts: ${result.rejected.join('; ')}`;
      throw new EectlError(`${result.image} is not signed by a trusted key: ${why}`, {
        code: 'EUNSIGNED',
        kind: 'external',
        exitCode: ExitCode.failure,
        suggestions: [
          `Sign it: eectl image sign ${result.image} --key KEY (trusted keys: ${result.keys.join(', ')}).`,
        ],
      });
    }
    if (!this.jsonEnabled()) this.log(`Verified ${result.image}: signed by ${result.signedBy}`);
    return result;
  }
}
