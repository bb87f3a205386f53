// Backend-rendered SVG charts become `data:` URLs for an <img>, so their markup never runs
// in the page; anything that is not an SVG document is refused.

export function svgDataUrl(svg: string): string | null {
  const head = svg.trimStart().slice(0, 200).toLowerCase();
  if (!head.startsWith('<svg') && !(head.startsWith('<?xml') && head.includes('<svg'))) return null;
  const bytes = new TextEncoder().encode(svg);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:image/svg+xml;base64,${btoa(bin)}`;
}
