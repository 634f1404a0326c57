/**
 * How every backend keeps a subscription's schedule and filters in columns, written once so that SQLite,
 * Postgres and memory store and read them alike (`newsbrief migrate-db` copies the columns as they are):
 * the days as ISO weekday numbers joined by commas ("1,2,3,4,5"), the times as HH:MM joined by commas, the
 * filters as JSON (null when there are none).
 */
import {
  ALL_WEEKDAYS,
  dailyAt,
  type NewSubscription,
  type Schedule,
  type ScheduleKind,
  type SubscriptionFilters,
  type Weekday,
} from '../../src/index.js';

const KINDS: readonly ScheduleKind[] = ['daily', 'weekdays', 'days', 'weekly'];

/** The schedule as the three columns hold it. */
export function scheduleColumns(schedule: Schedule): { kind: ScheduleKind; days: string; times: string } {
  return { kind: schedule.kind, days: schedule.days.join(','), times: schedule.times.join(',') };
}

/**
 * The schedule from its columns. A row written before schedules existed (empty times or days) is daily at
 * its `time`, as it always was.
 */
export function scheduleFrom(kind: string, days: string, times: string, time: string): Schedule {
  const dayList = days
    .split(',')
    .map(Number)
    .filter((d): d is Weekday => Number.isInteger(d) && d >= 1 && d <= 7);
  const timeList = times.split(',').filter((t) => t !== '');
  if (timeList.length === 0) return dailyAt(time);
  return {
    kind: (KINDS as readonly string[]).includes(kind) ? (kind as ScheduleKind) : 'daily',
    days: dayList.length > 0 ? dayList : [...ALL_WEEKDAYS],
    times: timeList,
  };
}

/** The filters column: null when the filters leave everything in. */
export function filtersColumn(filters: SubscriptionFilters): string | null {
  const none = filters.include.length === 0 && filters.exclude.length === 0 && filters.outlets.length === 0 && filters.minQuality === null;
  return none ? null : JSON.stringify(filters);
}

/** The filters from their column (a copy: callers may change what they get). */
export function filtersFrom(text: string | null): SubscriptionFilters {
  const stored = text ? (JSON.parse(text) as Partial<SubscriptionFilters>) : {};
  return {
    include: [...(stored.include ?? [])],
    exclude: [...(stored.exclude ?? [])],
    outlets: [...(stored.outlets ?? [])],
    minQuality: stored.minQuality ?? null,
  };
}

/** A new subscription's settings with the port's defaults for what it leaves out. */
export function settingsOf(sub: NewSubscription): {
  schedule: Schedule;
  time: string;
  ownZone: boolean;
  count: number | null;
  filters: SubscriptionFilters;
  paused: boolean;
} {
  const schedule = sub.schedule ? { ...sub.schedule, days: [...sub.schedule.days], times: [...sub.schedule.times] } : dailyAt(sub.time);
  return {
    schedule,
    time: schedule.times[0] ?? sub.time,
    ownZone: sub.ownZone ?? false,
    count: sub.count ?? null,
    filters: filtersFrom(sub.filters ? JSON.stringify(sub.filters) : null),
    paused: sub.paused ?? false,
  };
}
