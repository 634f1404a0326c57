// Word lists for the synthetic corpus. Written for the benchmark; names and domains are invented
// (example.* domains), so nothing here points at a real outlet or story.

/** Topic display name → nouns a headline about it uses. Order is popularity order (Zipf-weighted). */
export const TOPICS: readonly (readonly [string, readonly string[]])[] = [
  ['AI', ['language model', 'AI assistant', 'model audit', 'training cluster']],
  ['Cybersecurity', ['ransomware gang', 'zero-day flaw', 'password breach', 'security patch']],
  ['Climate', ['emissions report', 'heatwave forecast', 'carbon market', 'flood defence']],
  ['Electric Vehicles', ['electric SUV', 'charging network', 'battery recall', 'EV subsidy']],
  ['Space', ['lunar lander', 'satellite swarm', 'rocket engine', 'space telescope']],
  ['Machine Learning', ['training dataset', 'recommendation model', 'benchmark suite', 'fine-tuning service']],
  ['Open Source', ['package registry', 'maintainer fund', 'licence change', 'code audit']],
  ['Smartphones', ['foldable phone', 'phone chip', 'repair programme', 'camera sensor']],
  ['Semiconductors', ['chip factory', 'wafer plant', 'export licence', 'memory chip']],
  ['Cloud Computing', ['data centre', 'cloud region', 'storage tier', 'outage report']],
  ['Robotics', ['warehouse robot', 'robot arm', 'delivery robot', 'humanoid prototype']],
  ['Quantum Computing', ['qubit array', 'quantum processor', 'error-correction scheme', 'quantum network']],
  ['Computer Vision', ['face scanner', 'image model', 'traffic camera', 'vision chip']],
  ['Privacy', ['tracking ban', 'data broker', 'consent banner', 'privacy fine']],
  ['Energy Storage', ['grid battery', 'sodium cell', 'pumped-hydro plant', 'storage tender']],
  ['Fintech', ['payments app', 'neobank', 'instant-payment scheme', 'lending platform']],
  ['Gaming', ['game console', 'cloud gaming service', 'studio layoff', 'esports league']],
  ['Social Media', ['short-video app', 'moderation policy', 'creator fund', 'feed algorithm']],
  ['Autonomous Vehicles', ['robotaxi fleet', 'self-driving truck', 'lidar unit', 'driverless shuttle']],
  ['Natural Language Processing', ['translation model', 'speech recogniser', 'chat interface', 'text classifier']],
  ['Biotech', ['gene therapy', 'protein model', 'vaccine platform', 'lab automation']],
  ['Solar Power', ['solar farm', 'rooftop panel', 'perovskite cell', 'solar tariff']],
  ['Batteries', ['solid-state battery', 'battery plant', 'lithium refinery', 'cell chemistry']],
  ['Drones', ['delivery drone', 'drone corridor', 'inspection drone', 'drone ban']],
  ['Web Development', ['browser engine', 'web framework', 'CSS feature', 'JavaScript runtime']],
  ['Programming Languages', ['compiler release', 'type checker', 'language survey', 'memory-safe rewrite']],
  ['Databases', ['vector database', 'SQL engine', 'replication feature', 'storage engine']],
  ['DevOps', ['build pipeline', 'deployment tool', 'incident review', 'container platform']],
  ['Startups', ['seed round', 'unicorn valuation', 'accelerator class', 'founder exit']],
  ['Regulation', ['antitrust case', 'platform law', 'competition probe', 'digital tax']],
  ['Wearables', ['smartwatch', 'fitness ring', 'hearing aid', 'smart glasses']],
  ['Nuclear Energy', ['small reactor', 'fusion experiment', 'reactor licence', 'fuel supply deal']],
  ['Health Tech', ['telehealth service', 'diagnostic app', 'patient record system', 'remote monitor']],
  ['E-commerce', ['checkout feature', 'marketplace fee', 'returns policy', 'delivery network']],
  ['Telecom', ['5G network', 'fibre rollout', 'spectrum auction', 'satellite phone service']],
  ['Power Apps', ['low-code form', 'app template', 'connector update', 'portal feature']],
  ['Supply Chain', ['port backlog', 'freight index', 'parts shortage', 'shipping contract']],
  ['Education Technology', ['learning app', 'exam software', 'classroom laptop', 'tutoring platform']],
  ['Augmented Reality', ['AR headset', 'mixed-reality app', 'spatial display', 'AR glasses']],
  ['Cryptocurrency', ['stablecoin', 'crypto exchange', 'token listing', 'mining rig']],
];

/** Other names seed files use for a topic (see src/topics.ts aliases), so ingest's alias mapping is exercised. */
export const TOPIC_SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  AI: ['Artificial Intelligence'],
  Cybersecurity: ['Security', 'Infosec'],
  'Electric Vehicles': ['EVs'],
  'Machine Learning': ['ML'],
  'Open Source': ['OSS'],
  Climate: ['Climate Change'],
};

export const ACTORS = [
  'Regulators', 'Researchers', 'Startup', 'Chipmaker', 'Carmaker', 'Cloud provider', 'City council', 'University lab',
  'Space agency', 'Telecom operator', 'Bank', 'Retailer', 'Hospital network', 'Game studio', 'Utility', 'Ministry',
  'Insurer', 'Airline', 'Court', 'Union', 'Consortium', 'Foundation', 'Lawmakers', 'Investors',
] as const;

export const VERBS = [
  'unveils', 'launches', 'delays', 'tests', 'opens', 'expands', 'cuts', 'doubles', 'pilots', 'bans', 'funds',
  'acquires', 'rolls out', 'patches', 'warns about', 'releases', 'benchmarks', 'retires', 'approves', 'pauses',
] as const;

export const ADJECTIVES = [
  'faster', 'cheaper', 'open', 'secure', 'modular', 'low-power', 'experimental', 'national', 'first', 'larger',
  'smaller', 'regional', 'next-generation', 'refurbished', 'shared', 'public', 'private', 'hybrid',
] as const;

export const TAILS = [
  'for schools', 'in Europe', 'after outage', 'amid shortage', 'ahead of schedule', 'with new partners',
  'for small businesses', 'in three cities', 'despite criticism', 'to cut costs', 'across Asia', 'for rural areas',
  'after two-year review', 'in landmark deal', 'as demand slows', 'under new rules',
] as const;

export const SENTENCES = [
  'The {actor} said the {object} would reach customers {when}.',
  'Officials expect the {object} to cost about {n} million, according to documents seen by reporters.',
  'Critics argue the {adjective} {object} does little to address the underlying problem.',
  'Early tests showed a {n} percent improvement over the previous design.',
  'The move follows months of pressure from customers and {actors}.',
  'Analysts said the decision could reshape the market for {object}s {when}.',
  'A spokesperson declined to say how many people would be affected.',
  'The project, known internally as {name}, has been in development since {year}.',
  'Rivals are expected to respond with {adjective} offerings of their own.',
  'It is the {ordinal} such announcement this year.',
] as const;

export const WHEN = ['next spring', 'by the end of the year', 'within weeks', 'in 2027', 'later this month', 'next quarter'] as const;
export const ORDINALS = ['second', 'third', 'fourth', 'fifth'] as const;

/** Syllables for invented proper names (companies, projects) that make each story's headline distinct. */
export const SYLLABLES = [
  'ka', 've', 'lo', 'tra', 'mi', 'nor', 'sa', 'qu', 'ri', 'del', 'os', 'fen', 'ta', 'zu', 'bri', 'on', 'gal', 'ex',
  'pho', 'ren', 'vi', 'sta', 'mar', 'ly', 'cor', 'an', 'tel', 'is', 'dru', 'ne',
] as const;

/** Outlet name parts; combined into a few dozen invented providers. */
export const OUTLET_FIRST = [
  'Circuit', 'Signal', 'Orbit', 'Ledger', 'Harbor', 'Beacon', 'Quartz', 'Meridian', 'Northwind', 'Copper', 'Granite',
  'Pioneer', 'Summit', 'Lantern', 'Cobalt', 'Vector', 'Atlas', 'Kestrel',
] as const;
export const OUTLET_SECOND = ['Daily', 'Wire', 'Report', 'Review', 'Post', 'Journal', 'Times', 'Insider', 'Digest', 'Herald'] as const;
export const TLDS = ['example.com', 'example.net', 'example.org'] as const;
