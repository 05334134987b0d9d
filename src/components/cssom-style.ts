// Inline styles a strict CSP allows: `style="…"` attributes (also lit's styleMap, whose first render writes one) are
// blocked by `style-src` without 'unsafe-inline'; properties set through the CSSOM are not.
import { noChange } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';

class CssomStyle extends Directive {
  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('cssomStyle() goes on an element: <div ${cssomStyle(…)}>');
  }

  render(_styles: Readonly<Record<string, string>>): typeof noChange {
    return noChange;
  }

  override update(part: ElementPart, [styles]: [Readonly<Record<string, string>>]): typeof noChange {
    const { style } = part.element as HTMLElement;
    for (const [name, value] of Object.entries(styles)) style.setProperty(name, value);
    return noChange;
  }
}

/** Sets CSS properties (kebab-case names) on the element it is placed on, through the CSSOM. */
export const cssomStyle = directive(CssomStyle);
