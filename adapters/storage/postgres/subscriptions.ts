import type { NewSubscription, Subscription, SubscriptionChanges, SubscriptionStore, Target, TargetScope } from '../../../src/index.js';
import { filtersColumn, filtersFrom, scheduleColumns, scheduleFrom, settingsOf } from '../subscription-columns.js';
import type { PostgresDatabase } from './database.js';

interface SubscriptionRow {
  id: number;
  platform: string;
  chat_id: string;
  thread_id: string;
  topic: string;
  topic_key: string;
  time: string;
  timezone: string;
  active: boolean;
  next_due_at: Date;
  created_at: Date;
  schedule_kind: string;
  days: string;
  times: string;
  digest_count: number | null;
  filters: string | null;
  own_zone: boolean;
  paused: boolean;
}

/** A target as the (platform, chat_id, thread_id) columns hold it; no thread is stored as ''. */
export function where(target: Target): [string, string, string] {
  return [target.platform, target.chatId, target.threadId ?? ''];
}

export class PostgresSubscriptionStore implements SubscriptionStore {
  constructor(private readonly db: PostgresDatabase) {}

  async upsertSubscription(sub: NewSubscription): Promise<{ subscription: Subscription; created: boolean }> {
    this.db.use('subscriptions.upsertSubscription');
    const settings = settingsOf(sub);
    const schedule = scheduleColumns(settings.schedule);
    // One statement, so two instances subscribing the same target at once end with one row. xmax is 0 on a
    // row this statement inserted, and the updating transaction's id on one it updated.
    const { rows } = await this.db.query<SubscriptionRow & { created: boolean }>(
      `INSERT INTO subscriptions (platform, chat_id, thread_id, topic, topic_key, time, timezone, next_due_at, created_at,
         schedule_kind, days, times, digest_count, filters, own_zone, paused)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (platform, chat_id, thread_id, topic_key) DO UPDATE SET topic = excluded.topic, time = excluded.time,
         timezone = excluded.timezone, next_due_at = excluded.next_due_at, schedule_kind = excluded.schedule_kind,
         days = excluded.days, times = excluded.times, digest_count = excluded.digest_count, filters = excluded.filters,
         own_zone = excluded.own_zone, paused = excluded.paused, active = true, inactive_reason = NULL
       RETURNING *, (xmax = 0) AS created`,
      [
        ...where(sub.target),
        sub.topic,
        sub.topicKey,
        settings.time,
        sub.timezone,
        new Date(sub.nextDueAt),
        new Date(),
        schedule.kind,
        schedule.days,
        schedule.times,
        settings.count,
        filtersColumn(settings.filters),
        settings.ownZone,
        settings.paused,
      ],
    );
    const row = rows[0]!;
    return { subscription: toSubscription(row), created: row.created };
  }

  async updateSubscription(id: number, changes: SubscriptionChanges): Promise<Subscription | undefined> {
    this.db.use('subscriptions.updateSubscription');
    // Only the columns of the fields given are named; the values always travel as parameters.
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (changes.topic !== undefined) set('topic', changes.topic);
    if (changes.schedule !== undefined) {
      const schedule = scheduleColumns(changes.schedule);
      set('time', changes.schedule.times[0]);
      set('schedule_kind', schedule.kind);
      set('days', schedule.days);
      set('times', schedule.times);
    }
    if (changes.timezone !== undefined) set('timezone', changes.timezone);
    if (changes.ownZone !== undefined) set('own_zone', changes.ownZone);
    if (changes.count !== undefined) set('digest_count', changes.count);
    if (changes.filters !== undefined) set('filters', filtersColumn(changes.filters));
    if (changes.paused !== undefined) set('paused', changes.paused);
    if (changes.active) sets.push('active = true', 'inactive_reason = NULL');
    if (changes.nextDueAt !== undefined) set('next_due_at', new Date(changes.nextDueAt));
    const { rows } =
      sets.length === 0
        ? await this.db.query<SubscriptionRow>('SELECT * FROM subscriptions WHERE id = $1', params)
        : await this.db.query<SubscriptionRow>(`UPDATE subscriptions SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params);
    return rows[0] ? toSubscription(rows[0]) : undefined;
  }

  async removeSubscription(target: Target, topicKey: string): Promise<boolean> {
    this.db.use('subscriptions.removeSubscription');
    const r = await this.db.query('DELETE FROM subscriptions WHERE platform = $1 AND chat_id = $2 AND thread_id = $3 AND topic_key = $4', [
      ...where(target),
      topicKey,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  async removeAllSubscriptions(target: Target): Promise<number> {
    this.db.use('subscriptions.removeAllSubscriptions');
    const r = await this.db.query('DELETE FROM subscriptions WHERE platform = $1 AND chat_id = $2 AND thread_id = $3', where(target));
    return r.rowCount ?? 0;
  }

  async listSubscriptions(target: Target): Promise<Subscription[]> {
    this.db.use('subscriptions.listSubscriptions');
    const { rows } = await this.db.query<SubscriptionRow>(
      'SELECT * FROM subscriptions WHERE platform = $1 AND chat_id = $2 AND thread_id = $3 ORDER BY topic, id',
      where(target),
    );
    return rows.map(toSubscription);
  }

  async getSubscription(id: number): Promise<Subscription | undefined> {
    this.db.use('subscriptions.getSubscription');
    const { rows } = await this.db.query<SubscriptionRow>('SELECT * FROM subscriptions WHERE id = $1', [id]);
    return rows[0] ? toSubscription(rows[0]) : undefined;
  }

  async setActive(scope: TargetScope, active: boolean, reason?: string): Promise<number> {
    this.db.use('subscriptions.setActive');
    const why = active ? null : (reason ?? null);
    // A chat without a thread means the whole chat, forum topics included (kicked, blocked).
    const r =
      scope.threadId === undefined
        ? await this.db.query(
            'UPDATE subscriptions SET active = $1, inactive_reason = $2 WHERE platform = $3 AND chat_id = $4 AND active <> $1',
            [active, why, scope.platform, scope.chatId],
          )
        : await this.db.query(
            'UPDATE subscriptions SET active = $1, inactive_reason = $2 WHERE platform = $3 AND chat_id = $4 AND thread_id = $5 AND active <> $1',
            [active, why, ...where(scope)],
          );
    return r.rowCount ?? 0;
  }

  async migrateTarget(from: TargetScope, to: TargetScope): Promise<number> {
    this.db.use('subscriptions.migrateTarget');
    if (where(from).join('\u0000') === where(to).join('\u0000')) return 0;
    // Both without a thread: the whole chat moves, each thread to the same thread of the new chat. Where the
    // new chat already has a subscription to a topic (or a setting), its own wins and the old one is dropped.
    const whole = from.threadId === undefined && to.threadId === undefined;
    // $3 null: every thread of the chat; $6 null: each thread to the same thread of the new chat.
    const params = [from.platform, from.chatId, whole ? null : (from.threadId ?? ''), to.platform, to.chatId, whole ? null : (to.threadId ?? '')];
    const src = (t: string) => `${t}.platform = $1 AND ${t}.chat_id = $2 AND ($3::text IS NULL OR ${t}.thread_id = $3)`;
    const dest = (t: string) => `coalesce($6::text, ${t}.thread_id)`;
    return this.db.transaction('subscriptions.migrateTarget', async (c) => {
      const moved = await c.query(
        `UPDATE subscriptions s SET platform = $4, chat_id = $5, thread_id = ${dest('s')}
         WHERE ${src('s')} AND NOT EXISTS (
           SELECT 1 FROM subscriptions o WHERE o.platform = $4 AND o.chat_id = $5 AND o.thread_id = ${dest('s')} AND o.topic_key = s.topic_key)`,
        params,
      );
      const rest = [params[0], params[1], params[2]];
      await c.query(`DELETE FROM subscriptions s WHERE ${src('s')}`, rest);
      await c.query(
        `INSERT INTO sent_articles (platform, chat_id, thread_id, article_id, sent_at)
         SELECT $4, $5, ${dest('s')}, s.article_id, s.sent_at FROM sent_articles s WHERE ${src('s')}
         ON CONFLICT DO NOTHING`,
        params,
      );
      await c.query(`DELETE FROM sent_articles s WHERE ${src('s')}`, rest);
      await c.query(
        `UPDATE chat_settings s SET platform = $4, chat_id = $5, thread_id = ${dest('s')}
         WHERE ${src('s')} AND NOT EXISTS (
           SELECT 1 FROM chat_settings o WHERE o.platform = $4 AND o.chat_id = $5 AND o.thread_id = ${dest('s')})`,
        params,
      );
      await c.query(`DELETE FROM chat_settings s WHERE ${src('s')}`, rest);
      return moved.rowCount ?? 0;
    });
  }

  async getTimezone(target: Target): Promise<string | undefined> {
    this.db.use('subscriptions.getTimezone');
    const { rows } = await this.db.query<{ timezone: string | null }>(
      'SELECT timezone FROM chat_settings WHERE platform = $1 AND chat_id = $2 AND thread_id = $3',
      where(target),
    );
    return rows[0]?.timezone ?? undefined;
  }

  async setTimezone(target: Target, timezone: string): Promise<void> {
    this.db.use('subscriptions.setTimezone');
    await this.db.query(
      `INSERT INTO chat_settings (platform, chat_id, thread_id, timezone) VALUES ($1, $2, $3, $4)
       ON CONFLICT (platform, chat_id, thread_id) DO UPDATE SET timezone = excluded.timezone`,
      [...where(target), timezone],
    );
  }

  async dueSubscriptions(now: Date, limit: number, platform?: string): Promise<Subscription[]> {
    this.db.use('subscriptions.dueSubscriptions');
    const { rows } =
      platform === undefined
        ? await this.db.query<SubscriptionRow>(
            'SELECT * FROM subscriptions WHERE active AND NOT paused AND next_due_at <= $1 ORDER BY next_due_at, id LIMIT $2',
            [now, limit],
          )
        : await this.db.query<SubscriptionRow>(
            'SELECT * FROM subscriptions WHERE active AND NOT paused AND next_due_at <= $1 AND platform = $3 ORDER BY next_due_at, id LIMIT $2',
            [now, limit, platform],
          );
    return rows.map(toSubscription);
  }

  async setNextDue(subscriptionId: number, nextDueAt: string): Promise<void> {
    this.db.use('subscriptions.setNextDue');
    await this.db.query('UPDATE subscriptions SET next_due_at = $1 WHERE id = $2', [new Date(nextDueAt), subscriptionId]);
  }
}

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    target: { platform: row.platform, chatId: row.chat_id, ...(row.thread_id ? { threadId: row.thread_id } : {}) } as Subscription['target'],
    topic: row.topic,
    topicKey: row.topic_key,
    time: row.time,
    timezone: row.timezone,
    ownZone: row.own_zone,
    schedule: scheduleFrom(row.schedule_kind, row.days, row.times, row.time),
    count: row.digest_count,
    filters: filtersFrom(row.filters),
    paused: row.paused,
    active: row.active,
    nextDueAt: row.next_due_at.toISOString(),
    createdAt: row.created_at.toISOString(),
  };
}
