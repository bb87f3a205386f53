//! Charts: well-formed SVG, trade markers, zoom, PNG size, edge cases.

use stratagraph_report::{
    compare_equity_png, compare_equity_svg, drawdown_png, drawdown_svg, equity_png, equity_svg,
    price_png, price_svg, ChartData, ChartOptions, ReportError, Theme,
};

use crate::{Fixture, DAY, T0};

fn hex(c: (u8, u8, u8)) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Parses the SVG (failing the test if it is not well-formed XML) and counts the trade
/// markers: polygons in the win/loss colours, as (entries, exits) by their point counts.
fn markers(svg: &str, theme: Theme) -> (usize, usize) {
    let doc = match roxmltree::Document::parse(svg) {
        Ok(d) => d,
        Err(e) => panic!("not well-formed XML: {e}"),
    };
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let pal = theme.palette();
    let colours = [hex(pal.win), hex(pal.loss)];
    let (mut entries, mut exits) = (0, 0);
    for node in doc.descendants().filter(|n| n.has_tag_name("polygon")) {
        if !colours
            .iter()
            .any(|c| Some(c.as_str()) == node.attribute("fill"))
        {
            continue;
        }
        let points = node
            .attribute("points")
            .unwrap_or("")
            .split_whitespace()
            .count();
        match points {
            3 => entries += 1,
            12 => exits += 1,
            other => panic!("unexpected marker with {other} points"),
        }
    }
    (entries, exits)
}

fn opts() -> ChartOptions {
    ChartOptions::default()
}

#[test]
fn every_chart_is_well_formed_svg() {
    let f = Fixture::new(300);
    let data = f.data();
    for theme in [Theme::Light, Theme::Dark] {
        let o = ChartOptions { theme, ..opts() };
        for svg in [
            equity_svg(&data, &o),
            drawdown_svg(&data, &o),
            price_svg(&data, &o),
            compare_equity_svg(&data, &data, ("a <b>", "b & c"), &o),
        ] {
            let svg = svg.unwrap_or_else(|e| panic!("{e}"));
            markers(&svg, theme);
            assert!(svg.contains("2024-"), "time labels are dates");
        }
    }
}

#[test]
fn price_chart_marks_every_trade() {
    let f = Fixture::new(300);
    let svg = price_svg(&f.data(), &opts()).unwrap_or_default();
    assert_eq!(
        markers(&svg, Theme::Light),
        (f.trades.len(), f.trades.len())
    );
    // Winning and losing trades both appear, in their own colours.
    let pal = Theme::Light.palette();
    assert!(svg.contains(&hex(pal.win)) && svg.contains(&hex(pal.loss)));
}

#[test]
fn zoom_keeps_only_markers_inside_the_range() {
    let f = Fixture::new(300);
    let (from, to) = (T0 + 42 * DAY, T0 + 97 * DAY);
    let o = ChartOptions {
        from_ms: Some(from),
        to_ms: Some(to),
        ..opts()
    };
    let inside = |t: i64| t >= from && t <= to;
    let entries = f.trades.iter().filter(|t| inside(t.entry_time)).count();
    let exits = f.trades.iter().filter(|t| inside(t.exit_time)).count();
    assert!(entries > 0 && entries < f.trades.len());
    let svg = price_svg(&f.data(), &o).unwrap_or_default();
    assert_eq!(markers(&svg, Theme::Light), (entries, exits));
    // 56 visible daily bars fit as candles: the axis shows dates of the zoom only.
    assert!(svg.contains("2024-02-") || svg.contains("2024-03-"));
    assert!(!svg.contains("2024-09-"));
}

#[test]
fn intraday_axes_show_times() {
    let times: Vec<i64> = (0..500).map(|i| T0 + i * 60_000).collect();
    let equity: Vec<f64> = (0..500).map(|i| 1000.0 + i as f64).collect();
    let data = ChartData {
        times: &times,
        equity: &equity,
        ..ChartData::default()
    };
    let svg = equity_svg(&data, &opts()).unwrap_or_default();
    assert!(svg.contains("2024-01-01 0"), "date and time labels");
}

#[test]
fn png_has_the_signature_and_the_requested_size() {
    let f = Fixture::new(300);
    let data = f.data();
    let o = ChartOptions {
        width: 640,
        height: 400,
        theme: Theme::Dark,
        ..opts()
    };
    for png in [
        equity_png(&data, &o),
        drawdown_png(&data, &o),
        price_png(&data, &o),
        compare_equity_png(&data, &data, ("a", "b"), &o),
    ] {
        let bytes = png.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap_or_else(|e| panic!("{e}"));
        let info = reader.info();
        assert_eq!((info.width, info.height), (640, 400));
    }
}

#[test]
fn sizes_out_of_range_are_errors() {
    let f = Fixture::new(10);
    let bad = ChartOptions {
        width: 0,
        height: 100_000,
        ..opts()
    };
    let err = ReportError::InvalidSize {
        width: 0,
        height: 100_000,
    };
    assert_eq!(equity_svg(&f.data(), &bad), Err(err.clone()));
    assert_eq!(price_png(&f.data(), &bad), Err(err));
}

#[test]
fn edge_cases_render_without_panicking() {
    let nan = [f64::NAN, f64::NAN];
    let flat = [5.0; 50];
    let flat_t: Vec<i64> = (0..50).map(|i| T0 + i * DAY).collect();
    let f = Fixture::new(1);
    let big = Fixture::new(300);
    let cases: Vec<(&str, ChartData<'_>, ChartOptions)> = vec![
        ("empty", ChartData::default(), opts()),
        ("single bar", f.data(), opts()),
        (
            "all equal",
            ChartData {
                times: &flat_t,
                equity: &flat,
                ..ChartData::default()
            },
            opts(),
        ),
        (
            "all NaN",
            ChartData {
                times: &flat_t[..2],
                equity: &nan,
                ..ChartData::default()
            },
            opts(),
        ),
        (
            "mismatched lengths",
            ChartData {
                times: &flat_t,
                equity: &nan,
                ..ChartData::default()
            },
            opts(),
        ),
        (
            "before the data",
            big.data(),
            ChartOptions {
                to_ms: Some(0),
                ..opts()
            },
        ),
        (
            "inverted range",
            f.data(),
            ChartOptions {
                from_ms: Some(T0 + DAY),
                to_ms: Some(T0),
                ..opts()
            },
        ),
        (
            "extreme range",
            f.data(),
            ChartOptions {
                from_ms: Some(i64::MIN),
                to_ms: Some(i64::MAX),
                ..opts()
            },
        ),
    ];
    for (name, data, o) in cases {
        for svg in [
            equity_svg(&data, &o),
            drawdown_svg(&data, &o),
            price_svg(&data, &o),
            compare_equity_svg(&data, &data, ("x", "y"), &o),
        ] {
            let svg = svg.unwrap_or_else(|e| panic!("{name}: {e}"));
            markers(&svg, Theme::Light);
        }
        for png in [equity_png(&data, &o), price_png(&data, &o)] {
            assert!(png.is_ok(), "{name}: {png:?}");
        }
    }
}

#[test]
fn out_of_range_zoom_says_no_data() {
    let f = Fixture::new(30);
    let o = ChartOptions {
        from_ms: Some(T0 + 1000 * DAY),
        ..opts()
    };
    for svg in [
        equity_svg(&f.data(), &o),
        drawdown_svg(&f.data(), &o),
        price_svg(&f.data(), &o),
    ] {
        assert!(svg.unwrap_or_default().contains("no data in range"));
    }
}

#[test]
fn a_million_points_render_fast() {
    let n = 1_000_000i64;
    let times: Vec<i64> = (0..n).map(|i| T0 + i * 60_000).collect();
    let equity: Vec<f64> = (0..n)
        .map(|i| 10_000.0 + (i as f64 / 1000.0).sin() * 500.0)
        .collect();
    let data = ChartData {
        times: &times,
        equity: &equity,
        ..ChartData::default()
    };
    let t = std::time::Instant::now();
    let svg = equity_svg(&data, &opts()).unwrap_or_default();
    let ms = t.elapsed().as_millis();
    assert!(svg.len() < 200_000, "{} bytes: decimated", svg.len());
    // Generous for unoptimised test builds on a busy machine; the bench measures properly.
    assert!(ms < 2000, "{ms} ms");
}

#[test]
fn output_is_deterministic() {
    let f = Fixture::new(200);
    assert_eq!(
        equity_svg(&f.data(), &opts()),
        equity_svg(&f.data(), &opts())
    );
    assert_eq!(price_png(&f.data(), &opts()), price_png(&f.data(), &opts()));
}

#[test]
fn crowded_markers_are_thinned_but_zoom_restores_them() {
    let f = Fixture::new(20_000);
    let all = f.trades.len();
    let svg = price_svg(&f.data(), &opts()).unwrap_or_default();
    let (entries, exits) = markers(&svg, Theme::Light);
    assert!(
        entries + exits < 2 * all,
        "{entries} + {exits} of {all} trades"
    );
    assert!(entries > 0 && exits > 0);
    let o = ChartOptions {
        from_ms: Some(T0),
        to_ms: Some(T0 + 99 * DAY),
        ..opts()
    };
    let svg = price_svg(&f.data(), &o).unwrap_or_default();
    assert_eq!(markers(&svg, Theme::Light), (10, 10));
}
