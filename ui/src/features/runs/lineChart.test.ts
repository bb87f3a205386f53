import { describe, expect, it } from 'vitest';
import { drawdownOf, lineChartSvg } from './lineChart';
import { svgDataUrl } from './svg';

const pts = [100, 110, 99, 120, 90].map((v, i) => ({ t: Date.UTC(2020, 0, 1 + i), v }));

describe('lineChart', () => {
  it('computes drawdown below the running peak', () => {
    expect(drawdownOf(pts).map((p) => Math.round(p.v * 10) / 10)).toEqual([0, 0, -10, 0, -25]);
  });

  it('draws an SVG document that the chart view accepts, with a legend for overlays', () => {
    const svg = lineChartSvg(
      [
        { name: 'A <v1>', color: '#f00', points: pts },
        { name: 'B', color: '#00f', points: pts.map((p) => ({ ...p, v: p.v * 1.1 })) },
      ],
      { width: 600, height: 200 },
    );
    expect(svgDataUrl(svg)).not.toBeNull();
    expect(svg).toContain('A &lt;v1&gt;');
    expect(svg.match(/<path /g)).toHaveLength(2);
  });

  it('zooms to a range and says so when nothing is left', () => {
    const svg = lineChartSvg([{ name: 'A', color: '#f00', points: pts }], {
      width: 600,
      height: 200,
      from: Date.UTC(2021, 0, 1),
    });
    expect(svg).toContain('No data in this range');
  });
});
