import { createHash } from 'node:crypto';

/** Hex SHA-256 of a seed file's bytes: its content hash. Article ids come from `articleIdFor` (../article-id.ts). */
export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
