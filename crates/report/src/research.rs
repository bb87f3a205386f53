//! Pictures of research results: the parameter heatmap of a sweep (with the chosen cell and
//! its neighbourhood marked), Monte Carlo percentile bands and histograms.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use stratagraph_engine::robust::montecarlo::{Bands, Histogram};

use crate::data::{ChartOptions, Palette};
use crate::format::number;
use crate::{ensure_font, ReportError, MAX_SIZE, MIN_SIZE};

const FONT: &str = "sans-serif";

fn rgb(c: (u8, u8, u8)) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

fn draw_err(e: impl std::fmt::Display) -> ReportError {
    ReportError::Draw(e.to_string())
}

fn check_size(opts: &ChartOptions) -> Result<(u32, u32), ReportError> {
    let ok = |v: u32| (MIN_SIZE..=MAX_SIZE).contains(&v);
    if ok(opts.width) && ok(opts.height) {
        Ok((opts.width, opts.height))
    } else {
        Err(ReportError::InvalidSize {
            width: opts.width,
            height: opts.height,
        })
    }
}

/// What a heatmap shows: `values[y * x_values.len() + x]` (None = no combination there).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapData<'a> {
    /// Parameter on the horizontal axis and its values, left to right.
    pub x_name: &'a str,
    /// Its values.
    pub x_values: &'a [f64],
    /// Parameter on the vertical axis and its values, bottom to top.
    pub y_name: &'a str,
    /// Its values.
    pub y_values: &'a [f64],
    /// The metric shown.
    pub metric: &'a str,
    /// The metric per cell, row by row from the bottom.
    pub values: &'a [Option<f64>],
    /// A cell to outline with its neighbourhood (the chosen point), `(x, y)`.
    pub highlight: Option<(usize, usize)>,
    /// Higher values are better (green); false shows lower values green.
    pub higher_is_better: bool,
}

/// The rendered heatmap and where its cells are, so a click can be mapped to a cell.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapPicture {
    /// The SVG document.
    pub svg: String,
    /// Pixel box of the cells: left, top, right, bottom (cells are equal: column `x` spans
    /// `left + x × (right - left) / nx`, row `y` counts up from `bottom`).
    pub plot: (i32, i32, i32, i32),
}

/// Red (worst) through yellow to green (best) for `t` in 0..=1.
fn ramp(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let (a, b, u) = if t < 0.5 {
        ((215.0, 48.0, 39.0), (254.0, 224.0, 139.0), t * 2.0)
    } else {
        ((254.0, 224.0, 139.0), (26.0, 152.0, 80.0), t * 2.0 - 1.0)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * u).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// At most `max` labels: the value shown at every `step`-th index.
fn label_step(n: usize, max: usize) -> usize {
    n.div_ceil(max.max(1)).max(1)
}

fn short(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The heatmap of a metric over two parameters as an SVG document.
///
/// # Errors
/// [`ReportError::InvalidSize`] for a size out of range, [`ReportError::Draw`] if plotters
/// fails, and [`ReportError::Draw`] when the values do not fill the grid.
pub fn heatmap_svg(
    d: &HeatmapData<'_>,
    opts: &ChartOptions,
) -> Result<HeatmapPicture, ReportError> {
    let size = check_size(opts)?;
    let (nx, ny) = (d.x_values.len(), d.y_values.len());
    if nx == 0 || ny == 0 || d.values.len() != nx * ny {
        return Err(ReportError::Draw(format!(
            "{} values for a {nx} × {ny} grid",
            d.values.len()
        )));
    }
    ensure_font()?;
    let pal: Palette = opts.theme.palette();
    let text = rgb(pal.text);
    let finite = d.values.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let mut out = String::new();
    let plot;
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&rgb(pal.background)).map_err(draw_err)?;
        let caption = if lo <= hi {
            format!(
                "{} by {} and {} (from {} to {})",
                d.metric,
                d.x_name,
                d.y_name,
                number(lo, 2),
                number(hi, 2)
            )
        } else {
            format!("{} by {} and {} (no values)", d.metric, d.x_name, d.y_name)
        };
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(caption, (FONT, 15).into_font().color(&text))
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (0i32..nx as i32).into_segmented(),
                (0i32..ny as i32).into_segmented(),
            )
            .map_err(draw_err)?;
        let (xs, ys) = (d.x_values.to_vec(), d.y_values.to_vec());
        let (sx, sy) = (label_step(nx, 16), label_step(ny, 12));
        let label = |values: &[f64], step: usize, v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) if *i >= 0 && (*i as usize) % step == 0 => {
                values.get(*i as usize).map_or(String::new(), |x| short(*x))
            }
            _ => String::new(),
        };
        let x_fmt = move |v: &SegmentValue<i32>| label(&xs, sx, v);
        let y_fmt = move |v: &SegmentValue<i32>| label(&ys, sy, v);
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(rgb(pal.grid))
            .label_style((FONT, 12).into_font().color(&text))
            .x_desc(d.x_name)
            .y_desc(d.y_name)
            .axis_desc_style((FONT, 13).into_font().color(&text))
            .x_labels(nx.min(400))
            .y_labels(ny.min(400))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()
            .map_err(draw_err)?;
        let span = if hi > lo { hi - lo } else { 1.0 };
        let at =
            |x: usize, y: usize| (SegmentValue::Exact(x as i32), SegmentValue::Exact(y as i32));
        let cells = d.values.iter().enumerate().map(|(k, v)| {
            let (x, y) = (k % nx, k / nx);
            let color = match v.filter(|v| v.is_finite()) {
                Some(v) => {
                    let t = (v - lo) / span;
                    ramp(if d.higher_is_better { t } else { 1.0 - t }).filled()
                }
                None => rgb(pal.grid_light).filled(),
            };
            Rectangle::new([at(x, y), at(x + 1, y + 1)], color)
        });
        chart.draw_series(cells).map_err(draw_err)?;
        let (px, py) = chart.plotting_area().get_pixel_range();
        plot = (px.start, py.start, px.end, py.end);
        let cell_w = (px.end - px.start) as f64 / nx as f64;
        let cell_h = (py.end - py.start) as f64 / ny as f64;
        if cell_w >= 34.0 && cell_h >= 16.0 {
            let style = (FONT, 11)
                .into_font()
                .color(&RGBColor(20, 20, 20))
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(d.values.iter().enumerate().filter_map(|(k, v)| {
                    let v = v.filter(|v| v.is_finite())?;
                    let centre = (
                        SegmentValue::CenterOf((k % nx) as i32),
                        SegmentValue::CenterOf((k / nx) as i32),
                    );
                    Some(Text::new(number(v, 2), centre, style.clone()))
                }))
                .map_err(draw_err)?;
        }
        if let Some((hx, hy)) = d.highlight.filter(|&(x, y)| x < nx && y < ny) {
            let around = [
                at(hx.saturating_sub(1), hy.saturating_sub(1)),
                at((hx + 2).min(nx), (hy + 2).min(ny)),
            ];
            chart
                .draw_series([
                    Rectangle::new(around, RGBColor(30, 30, 30).stroke_width(1)),
                    Rectangle::new(
                        [at(hx, hy), at(hx + 1, hy + 1)],
                        RGBColor(0, 0, 0).stroke_width(3),
                    ),
                ])
                .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(HeatmapPicture { svg: out, plot })
}

/// Monte Carlo percentile bands of equity against the number of trades: 5–95% and 25–75%
/// shaded, the median as a line, and the trades in their real order when given.
///
/// # Errors
/// As [`heatmap_svg`].
pub fn bands_svg(
    steps: &[usize],
    bands: &[Bands],
    initial: f64,
    actual: Option<&[f64]>,
    opts: &ChartOptions,
) -> Result<String, ReportError> {
    let size = check_size(opts)?;
    ensure_font()?;
    let pal = opts.theme.palette();
    let text = rgb(pal.text);
    let n = steps.len().min(bands.len());
    let mut lo = initial;
    let mut hi = initial;
    for b in &bands[..n] {
        lo = lo.min(b[0]);
        hi = hi.max(b[4]);
    }
    for v in actual.unwrap_or(&[]) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    let pad = ((hi - lo) * 0.05).max(1.0);
    let last = steps.get(n.saturating_sub(1)).copied().unwrap_or(1).max(1) as f64;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&rgb(pal.background)).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(
                "Equity after each trade: 5–95% and 25–75% of runs, median",
                (FONT, 15).into_font().color(&text),
            )
            .x_label_area_size(36)
            .y_label_area_size(76)
            .build_cartesian_2d(0f64..last, (lo - pad)..(hi + pad))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .bold_line_style(rgb(pal.grid))
            .light_line_style(rgb(pal.grid_light))
            .axis_style(rgb(pal.grid))
            .label_style((FONT, 12).into_font().color(&text))
            .x_desc("trades")
            .axis_desc_style((FONT, 12).into_font().color(&text))
            .y_label_formatter(&|v: &f64| number(*v, 0))
            .x_label_formatter(&|v: &f64| number(*v, 0))
            .draw()
            .map_err(draw_err)?;
        let line = rgb(pal.line);
        let band = |a: usize, b: usize| {
            let mut pts: Vec<(f64, f64)> = vec![(0.0, initial)];
            pts.extend((0..n).map(|k| (steps[k] as f64, bands[k][b])));
            pts.extend((0..n).rev().map(|k| (steps[k] as f64, bands[k][a])));
            pts
        };
        chart
            .draw_series([
                Polygon::new(band(0, 4), line.mix(0.15).filled()),
                Polygon::new(band(1, 3), line.mix(0.3).filled()),
            ])
            .map_err(draw_err)?;
        let median =
            std::iter::once((0.0, initial)).chain((0..n).map(|k| (steps[k] as f64, bands[k][2])));
        chart
            .draw_series(LineSeries::new(median, line.stroke_width(2)))
            .map_err(draw_err)?
            .label("median")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], line.stroke_width(2))
            });
        if let Some(a) = actual {
            let c = rgb(pal.line2);
            let pts = std::iter::once((0.0, initial))
                .chain(a.iter().enumerate().map(|(i, v)| ((i + 1) as f64, *v)));
            chart
                .draw_series(LineSeries::new(pts, c.stroke_width(1)))
                .map_err(draw_err)?
                .label("actual order")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(rgb(pal.background).mix(0.85))
            .border_style(rgb(pal.grid))
            .label_font((FONT, 12).into_font().color(&text))
            .draw()
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}

/// A histogram with a vertical mark (e.g. the real result), as an SVG document.
///
/// # Errors
/// As [`heatmap_svg`].
pub fn histogram_svg(
    title: &str,
    h: &Histogram,
    mark: Option<f64>,
    decimals: usize,
    opts: &ChartOptions,
) -> Result<String, ReportError> {
    let size = check_size(opts)?;
    ensure_font()?;
    let pal = opts.theme.palette();
    let text = rgb(pal.text);
    let bins = h.counts.len().max(1);
    let (mut lo, mut hi) = (h.min, h.max);
    if let Some(m) = mark {
        lo = lo.min(m);
        hi = hi.max(m);
    }
    // Equal values (to rounding) fill the middle bin: draw it as one bar centred on them, on
    // an axis 1% wide either side.
    let single = h.counts.iter().filter(|&&c| c > 0).count() <= 1;
    if single || hi <= lo {
        let centre = (lo + hi) / 2.0;
        let half = (centre.abs() * 0.01).max(1.0);
        lo = centre - half;
        hi = centre + half;
    }
    let width = if single {
        (hi - lo) / bins as f64
    } else {
        (h.max - h.min) / bins as f64
    };
    let top = h.counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&rgb(pal.background)).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(title, (FONT, 15).into_font().color(&text))
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(lo..hi, 0f64..top)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .bold_line_style(rgb(pal.grid))
            .light_line_style(rgb(pal.grid_light))
            .axis_style(rgb(pal.grid))
            .label_style((FONT, 12).into_font().color(&text))
            .x_labels(6)
            .x_label_formatter(&|v: &f64| number(*v, decimals))
            .y_label_formatter(&|v: &f64| number(*v, 0))
            .draw()
            .map_err(draw_err)?;
        let base = if single {
            let centre = (h.min + h.max) / 2.0;
            let filled = h.counts.iter().position(|&c| c > 0).unwrap_or(0) as f64;
            centre - width / 2.0 - filled * width
        } else {
            h.min
        };
        let line = rgb(pal.line);
        chart
            .draw_series(h.counts.iter().enumerate().map(|(i, &c)| {
                let x0 = base + i as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, c as f64)], line.mix(0.6).filled())
            }))
            .map_err(draw_err)?;
        if let Some(m) = mark {
            let c = rgb(pal.line2);
            chart
                .draw_series(LineSeries::new([(m, 0.0), (m, top)], c.stroke_width(2)))
                .map_err(draw_err)?
                .label(format!("actual {}", number(m, decimals)))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(rgb(pal.background).mix(0.85))
                .border_style(rgb(pal.grid))
                .label_font((FONT, 12).into_font().color(&text))
                .draw()
                .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}
