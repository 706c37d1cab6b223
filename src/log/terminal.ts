/*
 * Text from the cluster or from snapshot files, made safe for a terminal: every command that prints
 * object names, labels or messages it did not write itself goes through these.
 */

// C0 controls, DEL, C1 controls (ESC and CSI start terminal escape sequences), and the invisible
// format characters that reorder or hide text (bidi overrides and isolates, zero-width, BOM).
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/g;

/** Unsafe characters become visible escapes (\x1b, \u202e). */
export function sanitize(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Each line sanitized, the line breaks kept: for multi-line text output. */
export function sanitizeLines(text: string): string {
  return text.split('\n').map(sanitize).join('\n');
}

const JSON_UNSAFE =
  /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/g;

/** JSON.stringify escapes C0 controls; DEL, C1 and format characters are escaped here too (\uXXXX). */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
