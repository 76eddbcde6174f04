// SMS length and parts, as Herald's render code counts them (render/Encoding.java and
// render/Segments.java): GSM-7 when every UTF-16 unit is in the GSM 03.38 basic set or extension
// table (an extension character is 2 septets), 160 septets in one part, else parts of 153 with an
// extension character never cut from its escape; otherwise UCS-2, 70 units in one part, else parts
// of 67 with a surrogate pair (an emoji) never cut. Keep the tables in step with Encoding.java.

const BASIC = '@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9 !"#\u00a4%&\'()*+,-./0123456789:;<=>?'
  + '\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0';
const EXTENSION = '\f^{}\\[~]|\u20ac';

export const GSM_7 = { name: 'GSM-7', single: 160, part: 153, unit: 'septets' };
export const UCS_2 = { name: 'UCS-2', single: 70, part: 67, unit: 'UTF-16 units' };

/** @return 1 for the GSM-7 basic set, 2 for the extension table, 0 if GSM-7 cannot encode the UTF-16 unit */
export function gsmSeptets(unit) {
  if (EXTENSION.indexOf(unit) >= 0) {
    return 2;
  }
  return BASIC.indexOf(unit) >= 0 ? 1 : 0;
}

function isHigh(c) {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c) {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * @param {string} text the message text
 * @return {{encoding, units, parts, firstNonGsm}} its encoding (GSM_7 or UCS_2), its length in that
 *   encoding's units, its SMS parts (>= 1) and the first character GSM-7 cannot encode (or null)
 */
export function smsParts(text) {
  const n = text.length;
  let firstNonGsm = null;
  let septets = 0;
  for (let i = 0; i < n; i++) {
    const s = gsmSeptets(text[i]);
    if (s === 0) {
      firstNonGsm = String.fromCodePoint(text.codePointAt(i));
      break;
    }
    septets += s;
  }
  if (firstNonGsm === null) {
    if (septets <= GSM_7.single) {
      return { encoding: GSM_7, units: septets, parts: 1, firstNonGsm };
    }
    let parts = 1;
    let used = 0;
    for (let i = 0; i < n; i++) {
      const s = gsmSeptets(text[i]);
      if (used + s > GSM_7.part) {
        parts++;
        used = 0;
      }
      used += s;
    }
    return { encoding: GSM_7, units: septets, parts, firstNonGsm };
  }
  if (n <= UCS_2.single) {
    return { encoding: UCS_2, units: n, parts: 1, firstNonGsm };
  }
  let parts = 1;
  let used = 0;
  for (let i = 0; i < n; i++) {
    const width = isHigh(text.charCodeAt(i)) && i + 1 < n && isLow(text.charCodeAt(i + 1)) ? 2 : 1;
    if (used + width > UCS_2.part) {
      parts++;
      used = 0;
    }
    used += width;
    i += width - 1;
  }
  return { encoding: UCS_2, units: n, parts, firstNonGsm };
}
