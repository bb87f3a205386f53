//! HTML reports: self-contained, complete, escaped.

use stratagraph_report::{html_report, metric_cards, ReportInput, Theme};

use crate::Fixture;

fn report(f: &Fixture, title: &str, theme: Theme) -> String {
    let metrics = f.metrics();
    let params = vec![
        ("fast".to_owned(), "10".to_owned()),
        ("<slow>".to_owned(), "20".to_owned()),
    ];
    let details = vec![("run".to_owned(), "0190-abc".to_owned())];
    html_report(&ReportInput {
        title,
        subtitle: Some("version 2 · node <sma&1>"),
        notes: Some("first try\n<b>bold</b>"),
        params: &params,
        details: &details,
        metrics: &metrics,
        data: f.data(),
        theme,
        graph: None,
        robustness: None,
    })
}

#[test]
fn report_holds_every_metric_and_trade() {
    let f = Fixture::new(300);
    let html = report(&f, "SMA crossover", Theme::Light);
    let metrics = f.metrics();
    let fields = match serde_json::to_value(&metrics) {
        Ok(serde_json::Value::Object(m)) => m.len(),
        other => panic!("{other:?}"),
    };
    let cards = metric_cards(&metrics);
    assert_eq!(cards.len(), fields, "one card per Metrics field");
    for (label, _) in &cards {
        let escaped = stratagraph_report::escape_html(label);
        assert!(
            html.contains(&format!("<div class=\"k\">{escaped}</div>")),
            "{label}"
        );
    }
    assert_eq!(html.matches("class=\"card metric\"").count(), fields);
    assert_eq!(html.matches("<tr class=\"trade ").count(), f.trades.len());
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("%</div>"), "percentages carry %");
    assert!(html.contains("2024-01-01 → 2024-10-26 (300 bars)"));
}

#[test]
fn report_is_self_contained() {
    let f = Fixture::new(300);
    for theme in [Theme::Light, Theme::Dark] {
        let html = report(&f, "t", theme);
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("src=") && !html.contains("<link"));
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    }
}

#[test]
fn user_strings_are_escaped() {
    let f = Fixture::new(50);
    let html = report(&f, "<script>alert(1)</script>", Theme::Light);
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("node &lt;sma&amp;1&gt;"));
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
    assert!(html.contains("&lt;slow&gt;"));
    // The only script is the table sorter.
    assert_eq!(html.matches("<script>").count(), 1);
}

#[test]
fn report_of_an_empty_run_does_not_panic() {
    let f = Fixture::new(0);
    let html = report(&f, "", Theme::Light);
    assert!(html.contains("no data"));
    assert!(html.contains("No trades."));
    assert!(
        html.contains("<div class=\"v\">–</div>"),
        "undefined metrics show –"
    );
    assert_eq!(html, report(&f, "", Theme::Light), "deterministic");
}
