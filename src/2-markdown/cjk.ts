// Character classes shared by the typographic plugins.

/** Han ideographs, kana, hangul and the CJK punctuation and full-width forms that sit among them. */
export const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef\u2018\u2019\u201c\u201d\u2026\u2014\u00b7]/u;

export const HAN = /\p{Script=Han}/u;
