//! Lesson content in the graph: node notes, comment frames and locked/exercise parameters
//! survive a round trip, are checked for their limits, and never change the run hash.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};
use stratagraph_engine::compile::compile_json;
use stratagraph_engine::graph::{Graph, Lesson, MAX_NOTE_CHARS};
use stratagraph_engine::validate::{validate, ProblemCode};

fn example() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sma_crossover.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The example with a note on its first node, two comment frames and its first parameter
/// locked.
fn with_lesson(mut doc: Value) -> Value {
    doc["nodes"][0]["note"] = json!("The closing price of every bar feeds both averages.");
    doc["comments"] = json!([
        {"id": "c1", "text": "Step 1: two moving averages", "x": -40, "y": -80,
         "width": 320, "height": 140},
        {"id": "c2", "text": "Step 2: buy when the fast one crosses above", "x": 400, "y": 0}
    ]);
    doc["parameters"][0]["lesson"] = json!("locked");
    doc
}

fn hash(doc: &Value) -> [u8; 32] {
    compile_json(doc, &BTreeMap::new()).unwrap().graph_hash
}

#[test]
fn notes_frames_and_marks_round_trip_and_old_graphs_gain_nothing() {
    let plain = example();
    let g: Graph = serde_json::from_value(plain.clone()).unwrap();
    let text = serde_json::to_string(&g).unwrap();
    for key in ["\"note\"", "\"comments\"", "\"lesson\""] {
        assert!(
            !text.contains(key),
            "{key} written for a graph without lessons"
        );
    }

    let lesson = with_lesson(plain);
    let g: Graph = serde_json::from_value(lesson).unwrap();
    assert_eq!(
        g.nodes[0].note.as_deref(),
        Some("The closing price of every bar feeds both averages.")
    );
    assert_eq!(g.comments.len(), 2);
    assert_eq!((g.comments[1].width, g.comments[1].height), (240.0, 120.0));
    assert_eq!(g.parameters[0].lesson, Some(Lesson::Locked));
    let again: Graph = serde_json::from_value(serde_json::to_value(&g).unwrap()).unwrap();
    assert_eq!(again, g);
}

#[test]
fn lesson_content_is_not_meaning_the_run_hash_stays() {
    let plain = example();
    let lesson = with_lesson(plain.clone());
    assert!(
        validate(&lesson).is_valid(),
        "{:?}",
        validate(&lesson).problems
    );
    assert_eq!(hash(&plain), hash(&lesson));
    let mut exercise = lesson.clone();
    exercise["parameters"][0]["lesson"] = json!("exercise");
    assert_eq!(hash(&plain), hash(&exercise));
    // A change of meaning still changes it.
    let mut changed = lesson;
    changed["settings"]["commission"] = json!(0.002);
    assert_ne!(hash(&plain), hash(&changed));
    // Canonical text of a graph without lessons is what it was before lessons existed.
    let g: Graph = serde_json::from_value(plain).unwrap();
    let text = String::from_utf8(g.canonical_json()).unwrap();
    assert!(!text.contains("note") && !text.contains("comments") && !text.contains("lesson"));
}

#[test]
fn bad_notes_and_frames_are_problems_with_their_place() {
    let mut doc = with_lesson(example());
    let first = doc["nodes"][0]["id"].as_str().unwrap().to_owned();
    doc["nodes"][0]["note"] = json!("x".repeat(MAX_NOTE_CHARS + 1));
    doc["comments"][1]["id"] = json!("c1");
    doc["comments"][0]["width"] = json!(0);
    let problems = validate(&doc).problems;
    let bad: Vec<_> = problems
        .iter()
        .filter(|p| p.code == ProblemCode::BadComment)
        .collect();
    assert!(bad
        .iter()
        .any(|p| p.node.as_deref() == Some(first.as_str()) && p.message.contains("note")));
    assert!(bad.iter().any(|p| p.message.contains("id of its own")));
    assert!(bad.iter().any(|p| p.message.contains("size above 0")));

    let mut doc = example();
    doc["comments"] = json!([{"id": "c", "text": 5, "x": 0, "y": 0}]);
    let problems = validate(&doc).problems;
    assert!(problems
        .iter()
        .any(|p| p.code == ProblemCode::BadComment && p.message.contains("malformed")));
    let mut doc = example();
    doc["parameters"][0]["lesson"] = json!("hidden");
    assert!(validate(&doc)
        .problems
        .iter()
        .any(|p| p.code == ProblemCode::BadParameter));
}
