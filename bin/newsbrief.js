#!/usr/bin/env node
// Thin launcher: registers tsx so the TypeScript sources run as they are, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../adapters/cli.ts');
process.exitCode = await main(process.argv.slice(2));
