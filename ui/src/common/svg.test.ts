import { describe, expect, it } from 'vitest';
import { svgDataUrl } from './svg';

describe('svgDataUrl', () => {
  it('encodes SVG documents, unicode included', () => {
    const url = svgDataUrl('<svg xmlns="http://www.w3.org/2000/svg"><text>€ 5</text></svg>');
    expect(url).toMatch(/^data:image\/svg\+xml;base64,/);
    const text = new TextDecoder().decode(
      Uint8Array.from(atob(url!.split(',')[1]!), (c) => c.charCodeAt(0)),
    );
    expect(text).toContain('€ 5');
    expect(svgDataUrl('<?xml version="1.0"?>\n<svg></svg>')).not.toBeNull();
  });

  it('refuses anything else', () => {
    expect(svgDataUrl('<script>alert(1)</script>')).toBeNull();
    expect(svgDataUrl('')).toBeNull();
  });
});
