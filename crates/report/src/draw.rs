//! Draws a [`Scene`] with plotters on an SVG or a bitmap backend.

use std::fmt::Display;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::data::ChartOptions;
use crate::format::{number, time_label};
use crate::scene::{MarkerKind, Scene, YFmt, MARGIN, X_LABEL_AREA, Y_LABEL_AREA};
use crate::{ensure_font, Frame, ReportError, MAX_SIZE, MIN_SIZE};

const FONT: &str = "sans-serif";

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

fn draw_err(e: impl Display) -> ReportError {
    ReportError::Draw(e.to_string())
}

fn rgb(c: (u8, u8, u8)) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Renders `scene` as an SVG document.
pub(crate) fn svg(scene: &Scene, opts: &ChartOptions) -> Result<String, ReportError> {
    svg_framed(scene, opts).map(|(svg, _)| svg)
}

/// Renders `scene` as an SVG document, with where its plot lies.
pub(crate) fn svg_framed(
    scene: &Scene,
    opts: &ChartOptions,
) -> Result<(String, Frame), ReportError> {
    let size = check_size(opts)?;
    ensure_font()?;
    let mut out = String::new();
    let frame = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let frame = paint(&root, scene)?;
        root.present().map_err(draw_err)?;
        frame
    };
    Ok((out, frame))
}

/// Renders `scene` into an RGB buffer and encodes it as PNG.
pub(crate) fn png(scene: &Scene, opts: &ChartOptions) -> Result<Vec<u8>, ReportError> {
    let (w, h) = check_size(opts)?;
    ensure_font()?;
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    {
        let backend =
            BitMapBackend::<plotters::backend::RGBPixel>::with_buffer_and_format(&mut buf, (w, h))
                .map_err(draw_err)?;
        let root = backend.into_drawing_area();
        paint(&root, scene)?;
        root.present().map_err(draw_err)?;
    }
    let mut out = Vec::new();
    {
        let mut enc = ::png::Encoder::new(&mut out, w, h);
        enc.set_color(::png::ColorType::Rgb);
        enc.set_depth(::png::BitDepth::Eight);
        let mut writer = enc
            .write_header()
            .map_err(|e| ReportError::Encode(e.to_string()))?;
        writer
            .write_image_data(&buf)
            .map_err(|e| ReportError::Encode(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| ReportError::Encode(e.to_string()))?;
    }
    Ok(out)
}

/// The marker outline in pixels around its anchor: a triangle (3 points) or a cross (12).
fn marker_shape(kind: MarkerKind) -> Vec<(i32, i32)> {
    match kind {
        MarkerKind::LongEntry => vec![(0, -2), (-6, 9), (6, 9)],
        MarkerKind::ShortEntry => vec![(0, 2), (-6, -9), (6, -9)],
        MarkerKind::Exit => {
            // A plus sign with arms 1.6 px wide and 6 px long, turned 45°.
            let (a, l) = (1.6f64, 6.0f64);
            let plus = [
                (a, a),
                (a, l),
                (-a, l),
                (-a, a),
                (-l, a),
                (-l, -a),
                (-a, -a),
                (-a, -l),
                (a, -l),
                (a, -a),
                (l, -a),
                (l, a),
            ];
            let r = std::f64::consts::FRAC_1_SQRT_2;
            plus.iter()
                .map(|&(x, y)| (((x - y) * r).round() as i32, ((x + y) * r).round() as i32))
                .collect()
        }
    }
}

fn y_label(v: f64, fmt: YFmt, decimals: usize) -> String {
    match fmt {
        YFmt::Number => number(v, decimals),
        YFmt::Percent => format!("{}%", number(v, decimals.min(2))),
    }
}

fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scene: &Scene,
) -> Result<Frame, ReportError> {
    let pal = &scene.palette;
    let text = rgb(pal.text);
    root.fill(&rgb(pal.background)).map_err(draw_err)?;
    let mut chart = ChartBuilder::on(root)
        .margin(MARGIN)
        .caption(&scene.title, (FONT, 16).into_font().color(&text))
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(scene.x.0..scene.x.1, scene.y.0..scene.y.1)
        .map_err(draw_err)?;

    let (px, py) = chart.plotting_area().get_pixel_range();
    let frame = Frame {
        left: px.start,
        right: px.end,
        top: py.start,
        bottom: py.end,
        x: scene.x,
        y: scene.y,
    };
    let (w, h) = root.dim_in_pixel();
    let per_label = match scene.time_fmt {
        crate::format::TimeFmt::Date => 110,
        crate::format::TimeFmt::DateTime => 150,
    };
    let x_labels = (w.saturating_sub(Y_LABEL_AREA) / per_label).max(2) as usize;
    let y_labels = (h / 50).clamp(2, 10) as usize;
    let (time_fmt, y_fmt, dec) = (scene.time_fmt, scene.y_fmt, scene.y_decimals);
    let x_fmt = move |t: &i64| time_label(*t, time_fmt);
    let y_fmt = move |v: &f64| y_label(*v, y_fmt, dec);
    chart
        .configure_mesh()
        .bold_line_style(rgb(pal.grid))
        .light_line_style(rgb(pal.grid_light))
        .axis_style(rgb(pal.grid))
        .label_style((FONT, 12).into_font().color(&text))
        .x_labels(x_labels)
        .y_labels(y_labels)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .draw()
        .map_err(draw_err)?;

    let mut legend = false;
    for line in &scene.lines {
        let color = rgb(line.color);
        if line.level {
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    color.stroke_width(1),
                ))
                .map_err(draw_err)?;
            continue;
        }
        if line.area {
            chart
                .draw_series(
                    AreaSeries::new(line.points.iter().copied(), 0.0, color.mix(0.25))
                        .border_style(color.stroke_width(1)),
                )
                .map_err(draw_err)?;
            continue;
        }
        let series = chart
            .draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(draw_err)?;
        if let Some(label) = &line.label {
            legend = true;
            series.label(label.as_str()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        }
    }

    if !scene.candles.is_empty() {
        let hw = scene.candle_half_ms;
        let (up, down) = (rgb(pal.candle_up), rgb(pal.candle_down));
        chart
            .draw_series(scene.candles.iter().map(|c| {
                let color = if c.close >= c.open { up } else { down };
                PathElement::new(vec![(c.t, c.low), (c.t, c.high)], color.stroke_width(1))
            }))
            .map_err(draw_err)?;
        chart
            .draw_series(scene.candles.iter().map(|c| {
                let color = if c.close >= c.open { up } else { down };
                Rectangle::new([(c.t - hw, c.open), (c.t + hw, c.close)], color.filled())
            }))
            .map_err(draw_err)?;
    }

    if !scene.markers.is_empty() {
        let (win, loss) = (rgb(pal.win), rgb(pal.loss));
        chart
            .draw_series(scene.markers.iter().map(|m| {
                let color = if m.win { win } else { loss };
                EmptyElement::at((m.t, m.price))
                    + Polygon::new(marker_shape(m.kind), color.filled())
            }))
            .map_err(draw_err)?;
    }

    if legend {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(rgb(pal.background).mix(0.85))
            .border_style(rgb(pal.grid))
            .label_font((FONT, 12).into_font().color(&text))
            .draw()
            .map_err(draw_err)?;
    }

    if let Some(note) = &scene.note {
        let style = (FONT, 16)
            .into_font()
            .color(&text)
            .pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new(
            note.as_str(),
            ((w / 2) as i32, (h / 2) as i32),
            style,
        ))
        .map_err(draw_err)?;
    }
    Ok(frame)
}
