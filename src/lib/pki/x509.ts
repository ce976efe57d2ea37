// tsyringe, which @peculiar/x509 uses inside, needs the Reflect metadata API before it loads: this import
// comes first, and every eectl module reaches @peculiar/x509 through this file only.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** @peculiar/x509, set up on Node's webcrypto. */
export { x509 };
/** Node's WebCrypto, whose keys @peculiar/x509 signs with. */
export const subtle = webcrypto.subtle;
