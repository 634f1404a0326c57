// The stopword package ships no type declarations; this covers the part Newsbrief uses.
declare module 'stopword' {
  /** English stop words, lower case. */
  export const eng: string[];
  export function removeStopwords(tokens: string[], stopwords?: string[]): string[];
}
