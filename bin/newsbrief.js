#!/usr/bin/env node
// Thin launcher: loads ./.env when there is one (real environment variables win), then registers tsx
// so the TypeScript sources run as they are, with no build step.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

if (existsSync('.env')) process.loadEnvFile('.env');
register();
const { main } = await import('../entry/cli.ts');
process.exitCode = await main(process.argv.slice(2));
