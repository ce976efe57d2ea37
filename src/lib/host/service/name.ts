import { EectlError } from '../../errors.js';

/** Service names are eectl's own constants; checked anyway so that none can read as an option or a path. */
export function serviceName(service: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9@._-]*$/.test(service)) {
    throw new EectlError(`"${service}" is not a service name`, { code: 'EINTERNAL', kind: 'bug' });
  }
  return service;
}
