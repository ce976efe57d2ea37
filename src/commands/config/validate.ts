import { BaseCommand } from '../../lib/base-command.js';

export default class ConfigValidate extends BaseCommand<typeof ConfigValidate> {
  static override summary = 'Check the cluster file and print every problem with file:line:col';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c prod.yaml',
  ];

  async run(): Promise<{ valid: boolean }> {
    const loaded = await this.loadCluster();
    if (!this.jsonEnabled()) this.log(`${loaded.path}: valid`);
    return { valid: true };
  }
}
