import { createHash } from 'node:crypto';

/** Hex SHA-256: seed files' content hashes, and (cut to 16) article ids from URLs. */
export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
