/**
 * Collapses the whitespace of Lit html`` templates in TypeScript source: a line break and its
 * indentation next to a tag go, any other becomes one space. It also drops what HTML's parser
 * ignores: the quotes around a one-word attribute value (`part="status"` is `part=status`) and
 * the slash of `/>`. Only the templates' static text is touched; `${…}` expressions (which may hold
 * nested templates, strings and braces) are copied as they are, so code is never changed.
 */
const collapse = (text: string) =>
  text
    .replace(/>\s*\n\s*/g, '>')
    .replace(/\s*\n\s*</g, '<')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/="([\w.:-]+)"/g, '=$1')
    .replace(/\s*\/>/g, '>');

export function collapseHtmlTemplates(source: string): string {
  let out = '';
  let i = 0;
  /** Copies JS from i up to the `}` closing a `${`, descending into nested templates. */
  const expression = () => {
    let depth = 1;
    while (i < source.length) {
      const c = source[i]!;
      if (c === '`') {
        const tagged = /html$/.test(source.slice(Math.max(0, i - 4), i));
        out += c;
        i++;
        template(tagged);
        continue;
      }
      if (c === "'" || c === '"') {
        const end = source.indexOf(c, i + 1);
        out += source.slice(i, end + 1);
        i = end + 1;
        continue;
      }
      if (c === '{') depth++;
      if (c === '}' && --depth === 0) return;
      out += c;
      i++;
    }
  };
  /** Copies a template literal's body after its opening backtick, through the closing one. */
  const template = (tagged: boolean) => {
    let text = '';
    const flush = () => {
      out += tagged ? collapse(text) : text;
      text = '';
    };
    while (i < source.length) {
      const c = source[i]!;
      if (c === '\\') {
        text += source.slice(i, i + 2);
        i += 2;
      } else if (c === '`') {
        flush();
        out += c;
        i++;
        return;
      } else if (c === '$' && source[i + 1] === '{') {
        flush();
        out += '${';
        i += 2;
        expression();
        out += '}';
        i++;
      } else {
        text += c;
        i++;
      }
    }
    flush();
  };
  while (i < source.length) {
    const start = source.indexOf('html`', i);
    if (start < 0) break;
    out += source.slice(i, start + 5);
    i = start + 5;
    template(true);
  }
  return out + source.slice(i);
}
