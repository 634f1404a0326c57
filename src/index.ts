// The core's public API: what adapters and entry points may import.
export { Newsbrief, DEFAULT_COUNT, MAX_COUNT, DEFAULT_TIME, DEFAULT_TIMEZONE, NEWS_MAX_PAGE } from './app.js';
export type { NewsbriefOptions, NewsOptions, StoriesOptions } from './app.js';
export type { Article, Image, RelatedArticle, Provider, Target, Subscription, Schedule, ScheduleKind, SubscriptionFilters, Weekday } from './model.js';
export { ALL_WEEKDAYS, NO_FILTERS, dailyAt } from './model.js';
export { cleanText, normalizeEllipsis, plainText, safeHttpUrl, unescapeMarkdown } from './model.js';
export type * from './types.js';
export type * from './ports.js';
export { StorageGoneError } from './ports.js';
export { targetKey } from './model.js';
export { indexArticle, indexArticles, recencyWeight } from './indexing.js';
export { buildDigest, cutExcerpt, DIGEST, rankStories, pickRelated } from './digest.js';
export { cutAtWord } from './cut.js';
export type { ScoredStory } from './digest.js';
export { groupStories, STORIES, TextIndex } from './stories.js';
export { canonicalUrl, trimTrailingSlashes, URLS } from './url.js';
export { RANK, explainScore, explainStory, looksLikeNonNews } from './rank.js';
export { TopicIndex, TopicAliasTable, normalizeTopic, DEFAULT_TOPIC_ALIASES, DEFAULT_TOPIC_FALLBACKS } from './topics.js';
export type { TopicAliases } from './topics.js';
export { parseTime, parseTimezone, nextDueAfter, nextScheduledAfter, nextDueFor, describeLocal } from './clock.js';
export { isZoneAbbreviation } from './zones.js';
export { compileFilters, wordTokens, foldText } from './filters.js';
export type { CompiledFilters, FilteredArticle } from './filters.js';
export { SUBSCRIPTION_LIMITS, parseSubscribeInput, parseDays, parseTimes, parseEntryList } from './subscription-options.js';
export type { SubscribeInput, SubscriptionEdit } from './subscription-options.js';
export { buildSubscriptionDigest, FIRST_LOOKBACK_HOURS } from './subscription-digest.js';
export type { ScheduledDigestSettings } from './subscription-digest.js';
export type { Logger } from './logger.js';
export { LogRedactor, redactingLogOptions, silentLogger } from './logger.js';
export { ingest, MAX_LISTED_DUPLICATES } from './ingest.js';
export type { DuplicateItem, IngestOptions, IngestReport, Rejection } from './ingest.js';
export type { ArticleSource, SourceRead, SourceItem, SourceProblem, FieldWarning } from './source.js';
export { parseNewsArgs, parseSubscribeArgs, quotedWords } from './command-args.js';
export type { NewsArgs, SubscribeArgs } from './command-args.js';
export { knownTimezones } from './clock.js';
export { ageOf, windowDays } from './age.js';
export type { Age } from './age.js';
export {
  COMMAND_CATALOGUE,
  CHAT_SURFACES,
  MIN_COUNT,
  MAX_TOPIC_LENGTH,
  MAX_ZONE_LENGTH,
  MAX_TIME_LENGTH,
  MAX_LIST_LENGTH,
  isWholeNumber,
  commandsFor,
  commandSpec,
  commandArgument,
  invocationArguments,
  describeArgument,
} from './commands.js';
export type { Surface, Audience, CommandName, ArgumentKind, CommandArgument, CommandSpec } from './commands.js';
export { COMMAND_ERROR_CODES, commandError, suggestedTopics } from './command-errors.js';
export type { BadOptionProblem, SubscriptionOptionName } from './command-errors.js';
export { DigestScheduler, SCHEDULE } from './schedule.js';
export type { Ticker } from './schedule.js';
export type { DigestSchedulerOptions, TickReport } from './schedule.js';
