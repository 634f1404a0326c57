import { describe, expect, it } from 'vitest';
import { groupStories, isPressRelease, issuerMissing, numbersConflict, sellsSomething, subjectConflict } from '../src/stories.js';
import { explainStory } from '../src/rank.js';
import { makeArticle, makeRelated } from './helpers/articles.js';
import type { Article } from '../src/model.js';

const at = (hours: number) => new Date(Date.parse('2026-11-20T08:00:00Z') + hours * 3_600_000).toISOString();
let outlet = 0;
/** An article from its own outlet unless one is given. */
function art(title: string, excerpt: string, overrides: Partial<Article> = {}): Article {
  outlet++;
  return makeArticle({
    title,
    excerpt,
    publishedAt: at(0),
    provider: { name: `Outlet ${outlet}`, domain: `outlet${outlet}.example.com` },
    url: `https://outlet${outlet}.example.com/a/${outlet}`,
    ...overrides,
  });
}
const groups = (articles: Article[]) =>
  groupStories(articles.map((article) => ({ article }))).map((g) => g.members.map((m) => m.article.title).sort());

// Filler stories give the IDF a realistic background: words shared by every article weigh little.
const background = [
  art('Regional airline orders forty turboprops for short routes', 'The carrier will retire older jets on island routes by 2028.'),
  art('City council approves new cycle lanes along the river', 'Construction starts in spring and closes two car lanes.'),
  art('Chipmaker posts record quarterly revenue on data-centre demand', 'Sales of accelerators doubled from a year earlier.'),
  art('Museum returns looted bronze statues to their country of origin', 'The handover ends a dispute that lasted decades.'),
];

describe('story grouping', () => {
  it('groups paraphrased titles of one event', () => {
    const a = art('Orbital Labs recovers the upper stage of its Kestrel rocket', 'Orbital Labs flew and landed the second stage of Kestrel on Monday, a first for the industry.');
    const b = art('Kestrel second stage lands intact: Orbital Labs makes history', 'The upper stage of the Kestrel rocket came back in one piece after Monday’s flight, Orbital Labs said.', { publishedAt: at(5) });
    const result = groups([a, b, ...background]);
    expect(result).toContainEqual([a.title, b.title].sort());
  });

  it('keeps a press release apart from an article that never names its issuer', () => {
    const wire = { provider: { name: 'Wire', domain: 'prnewswire.com' }, url: 'https://www.prnewswire.com/news-releases/globex-achieves-status-1.html' };
    const release = art('Globex achieves Nimbus machine learning partner status', 'Nimbus Forge brings machine learning to every Nimbus cloud account. Globex extends Nimbus Forge for retailers.', wire);
    const review = art('Review: Nimbus machine learning partner tools stack up', 'Nimbus Forge is the machine learning workbench of the Nimbus cloud, now with bias reports.', { publishedAt: at(30) });
    const coverage = art('Globex wins Nimbus machine learning partner status', 'Retail analytics firm Globex said Nimbus recognised its machine learning practice.', { publishedAt: at(4) });
    expect(issuerMissing(release, review)).toBe(true);
    expect(issuerMissing(release, coverage)).toBe(false);
    const result = groups([release, review, coverage, ...background]);
    expect(result).toContainEqual([release.title, coverage.title].sort());
    expect(result).toContainEqual([review.title]);
    // The same two texts, neither a press release: the rule is what keeps them apart.
    const plainRelease = art(release.title, release.excerpt);
    expect(groups([plainRelease, review, ...background])).toContainEqual([plainRelease.title, review.title].sort());
  });

  it('keeps a market-report promotion out of the news story whose words it shares', () => {
    const launch = art('Initech launches a hospital cloud for clinics', 'Initech Hospital Cloud bundles records, scheduling and telehealth for clinics.');
    const follow = art('Initech hospital cloud targets clinics and care teams', 'The Initech Hospital Cloud adds telehealth and scheduling for clinics, the company said.', { publishedAt: at(3) });
    const report = art('Hospital Cloud Market 2026: clinics, telehealth and key players', 'The hospital cloud market for clinics and telehealth will grow at a CAGR of 14 percent, Initech among key players.', { publishedAt: at(6) });
    expect(sellsSomething(report)).toBe(true);
    expect(sellsSomething(launch)).toBe(false);
    const result = groups([launch, follow, report, ...background]);
    expect(result).toContainEqual([launch.title, follow.title].sort());
    expect(result).toContainEqual([report.title]);
  });

  it('recognises press releases by wire host or press-release path', () => {
    const p = (url: string, domain = 'example.com') => isPressRelease({ url, provider: { name: 'x', domain } });
    expect(p('https://www.businesswire.com/news/home/1/en/')).toBe(true);
    expect(p('https://www.marketwatch.com/press-release/widget-market-2027')).toBe(true);
    expect(p('https://local-tv.example.com/story/1', 'globenewswire.com')).toBe(true);
    expect(p('https://www.infoworld.com/article/1/review.html')).toBe(false);
  });

  it('keeps two events of the same company apart', () => {
    const a = art('Orbital Labs recovers the upper stage of its Kestrel rocket', 'Orbital Labs flew and landed the second stage of Kestrel on Monday.');
    const b = art('Orbital Labs names a new chief financial officer', 'The former bank executive joins Orbital Labs in January and replaces the interim finance chief.', { publishedAt: at(3) });
    const result = groups([a, b, ...background]);
    expect(result).toContainEqual([a.title]);
    expect(result).toContainEqual([b.title]);
  });

  it('does not chain A~B~C into one story when A and C are far apart in time', () => {
    const text = 'Glacier monitoring network reports record melt in the Alps';
    const excerpt = 'Sensors on twelve Alpine glaciers recorded the fastest summer melt since measurements began.';
    const a = art(text, excerpt, { publishedAt: at(0) });
    const b = art(`${text} again`, excerpt, { publishedAt: at(100) });
    const c = art(`${text} once more`, excerpt, { publishedAt: at(200) });
    const result = groups([a, b, c, ...background]);
    expect(result.some((g) => g.includes(a.title) && g.includes(c.title))).toBe(false);
  });

  it('does not chain A~B~C when A and C share nothing', () => {
    const a = art('Volcano eruption closes airports across Iceland', 'Ash from the Reykjanes eruption grounded flights on Tuesday.');
    const b = art(
      'Volcano eruption closes airports across Iceland as football final is postponed',
      'Ash grounded flights on Tuesday; the national football cup final moved to next week.',
    );
    const c = art('National football cup final postponed to next week', 'The cup final between the two Reykjavik clubs moves to next Sunday.');
    const result = groups([a, b, c, ...background]);
    expect(result.some((g) => g.includes(a.title) && g.includes(c.title))).toBe(false);
  });

  it('does not merge two titles that share a single word, even on a tiny candidate set with boilerplate excerpts', () => {
    const a = art('Chips get faster', 'A short excerpt for story one.');
    const b = art('Transformers learn faster', 'A short excerpt for story two.');
    expect(groups([a, b])).toEqual([[a.title], [b.title]]);
  });

  it('keeps a roundup apart from the single announcement it lists, and groups roundups of one event', () => {
    const launch = art('Globex unveils Nimbus quantum cloud service at DevCon', 'Globex opened its Nimbus quantum cloud service to developers at DevCon.');
    const roundup = art('The biggest announcements from Globex DevCon: Nimbus quantum cloud and more', 'Globex unveiled its Nimbus quantum cloud service and more at DevCon.');
    const roundup2 = art('Globex DevCon: everything announced, from Nimbus quantum cloud to new tools', 'Everything Globex announced at DevCon, from the Nimbus quantum cloud service on.');
    const result = groups([launch, roundup, roundup2, ...background]);
    expect(result).toContainEqual([launch.title]);
    expect(result).toContainEqual([roundup.title, roundup2.title].sort());
  });

  it('never merges on a related link alone', () => {
    const b = art('Deep-sea survey maps new coral species off Chile', 'Researchers catalogued forty species of cold-water coral.');
    const a = art('Parliament passes budget with higher defence spending', 'The vote followed a week of debate.', {
      related: [makeRelated({ url: b.url, title: b.title })],
    });
    const result = groups([a, b, ...background]);
    expect(result).toContainEqual([a.title]);
    expect(result).toContainEqual([b.title]);
  });

  it('treats a shared canonical URL as one story', () => {
    const a = art('First headline for the page', 'One text.', { url: 'https://www.same.example.com/page/?utm_source=x' });
    const b = art('A completely different headline', 'Other words.', { url: 'https://same.example.com/page' });
    expect(groups([a, b, ...background])).toContainEqual([a.title, b.title].sort());
  });

  it('groups syndicated copies with identical titles, even without excerpts', () => {
    const a = art('Metro rail strike halts trains in the capital', '');
    const b = art('Metro rail strike halts trains in the capital', '', { publishedAt: at(20) });
    expect(groups([a, b, ...background])).toContainEqual([a.title, b.title]);
  });

  it('leads with the best article: quality, then the original outlet, then the earliest', () => {
    const copy = art('Metro rail strike halts trains', 'Unions walked out.', { quality: 40, url: 'https://copies.example.net/x' });
    const best = art('Metro rail strike halts trains', 'Unions walked out.', { quality: 90, publishedAt: at(2) });
    const [story] = groupStories([copy, best].map((article) => ({ article })));
    expect(story!.lead.article).toBe(best);
  });

  it('sees different figures and one template with different subjects as different events', () => {
    expect(numbersConflict({ title: 'Startup raises $40 million' }, { title: 'Startup raises $25 million' })).toBe(true);
    expect(numbersConflict({ title: 'Startup raises $40 million' }, { title: 'Startup raises 40 million dollars' })).toBe(false);
    expect(subjectConflict({ title: 'Acme achieves Cloud Partner competency status' }, { title: 'Globex achieves Cloud Partner competency status' })).toBe(true);
    expect(subjectConflict({ title: 'Acme achieves Cloud Partner competency status' }, { title: 'Exclusive: Acme achieves Cloud Partner competency status' })).toBe(false);
    // A first word the other title has in another form is no other subject: the same launch, worded two ways.
    expect(subjectConflict({ title: 'Introducing Widget Ideas: AI help builds apps from plain language' }, { title: 'Acme introduces Widget Ideas: AI help builds apps from plain language' })).toBe(false);
  });
});

describe('story rank', () => {
  const now = new Date(at(48));
  const member = (quality: number, hoursOld: number, topics = ['Space']) => ({
    article: { quality, heat: -1, publishedAt: at(48 - hoursOld), topics, title: 't', excerpt: '' },
    topicMatch: 1,
  });
  it('lets quality beat a day of age', () => {
    const good = explainStory([member(100, 30)], { title: 'a', excerpt: '' }, 1, { now });
    const fresh = explainStory([member(50, 6)], { title: 'b', excerpt: '' }, 1, { now });
    expect(good.logScore).toBeGreaterThan(fresh.logScore);
  });
  it('grows with the outlets covering a story and decays with the age of its latest article', () => {
    const one = explainStory([member(60, 10)], { title: 'a', excerpt: '' }, 1, { now });
    const five = explainStory([member(60, 10), member(40, 30)], { title: 'a', excerpt: '' }, 5, { now });
    expect(five.logScore).toBeGreaterThan(one.logScore);
    expect(five.ageHours).toBeCloseTo(10);
  });
  it('weighs a match on an article tagged with many topics less', () => {
    const focused = explainStory([member(60, 10, ['Space'])], { title: 'a', excerpt: '' }, 1, { now });
    const spread = explainStory([member(60, 10, ['Space', 'AI', 'Climate', 'Health', 'Energy', 'Policy', 'Science'])], { title: 'a', excerpt: '' }, 1, { now });
    expect(spread.logScore).toBeLessThan(focused.logScore);
  });
  it('demotes market-report promotions and ads', () => {
    const news = explainStory([member(60, 10)], { title: 'Acme opens a battery plant', excerpt: '' }, 1, { now });
    const promo = explainStory(
      [member(60, 10)],
      { title: 'Global Widget Market to 2027 - Key Players and Forecast', excerpt: 'The market will grow at a CAGR of 9 %.' },
      1,
      { now },
    );
    expect(promo.logScore).toBeLessThan(news.logScore);
    expect(promo.news).toBeLessThan(1);
    expect(news.news).toBe(1);
  });
});
