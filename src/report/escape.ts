/**
 * Escaping for text that came from a trace or a spec (VM ids, labels, params): HTML text and
 * attributes, JSON inside <script>, Markdown. Every untrusted string goes through one of these.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escape text for HTML element content and quoted attribute values. */
export const escapeHtml = (text: unknown): string => String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c])

/**
 * JSON safe to embed in a <script> element: `<`, `>` and `&` become \u003c, \u003e, \u0026 (so no
 * `</script>` or `<!--` can appear), and U+2028/U+2029 are escaped. The result is still valid JSON
 * and a valid JavaScript expression.
 */
export const jsonForScript = (value: unknown): string =>
  (JSON.stringify(value) ?? 'null')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')

/**
 * Make JavaScript source safe to inline in a <script> element: `</script` and `<!--` cannot occur
 * in it (rewritten as `<\/script` and `<\!--`, which mean the same inside strings and regexes).
 */
export const scriptSource = (js: string): string => js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--')

/**
 * Escape text for Markdown (inline text and table cells): HTML-significant characters become
 * entities (Markdown renderers pass raw HTML through), the Markdown punctuation that can start
 * emphasis, code, links or a table cell is backslash-escaped, and line breaks become spaces.
 * For inline text only (table cells, list items, after a heading's '#'), not for the start of a line.
 */
export const escapeMarkdown = (text: unknown): string =>
  String(text)
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
