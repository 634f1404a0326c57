// The rate-limited platform fakes in a process of their own (spawned by fanout.ts): arrival times are then
// taken on a separate event loop, as a real server's would be, not delayed by the bot building digests.
// Prints {"telegram": apiRoot, "discord": apiBase} once listening; exits when stdin closes.
import { LimitedDiscord } from './limited-discord.js';
import { LimitedTelegram } from './limited-telegram.js';

const telegram = await LimitedTelegram.start();
const discord = await LimitedDiscord.start();
process.stdout.write(`${JSON.stringify({ telegram: telegram.apiRoot, discord: discord.apiBase })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void Promise.all([telegram.close(), discord.close()]).then(() => process.exit(0));
});
