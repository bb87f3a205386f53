//! Validation: every rule reported with its node, all at once, and no panic on any input.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use serde_json::{json, Value};
use stratagraph_engine::backtest::backtest;
use stratagraph_engine::compile::compile;
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_engine::validate::{validate, ProblemCode};

use crate::gen::{random_graph, valid_graph};

fn fixture(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn has(problems: &[stratagraph_engine::validate::Problem], code: ProblemCode, node: &str) -> bool {
    problems
        .iter()
        .any(|p| p.code == code && p.node.as_deref() == Some(node))
}

#[test]
fn reports_cycle_type_mismatch_dangling_input_and_unbound_param_together() {
    let v = validate(&fixture("broken_graph.json"));
    let p = &v.problems;
    assert!(has(p, ProblemCode::Cycle, "loop_a"), "{p:#?}");
    assert!(has(p, ProblemCode::Cycle, "loop_b"), "{p:#?}");
    assert!(has(p, ProblemCode::TypeMismatch, "as_number"), "{p:#?}");
    assert!(has(p, ProblemCode::DanglingInput, "above"), "{p:#?}");
    assert!(has(p, ProblemCode::UnboundParam, "trend"), "{p:#?}");
    let dangling = p
        .iter()
        .find(|x| x.code == ProblemCode::DanglingInput)
        .unwrap();
    assert_eq!(dangling.port.as_deref(), Some("b"));
    assert_eq!(
        p.iter()
            .find(|x| x.code == ProblemCode::UnboundParam)
            .unwrap()
            .param
            .as_deref(),
        Some("period")
    );
    // Every line starts with the node it belongs to.
    for prob in p {
        let text = prob.to_string();
        let node = prob.node.as_deref().unwrap_or("graph");
        assert!(text.starts_with(&format!("{node}: ")), "{text}");
    }
}

#[test]
fn every_rule_has_its_own_problem() {
    let doc = json!({
        "schema": 1,
        "nodes": [
            {"id": "c", "kind": "source.close"},
            {"id": "c", "kind": "source.open"},
            {"id": "x", "kind": "indicator.nope"},
            {"id": "s", "kind": "indicator.sma", "params": {"period": 0, "colour": "red"}},
            {"id": "r", "kind": "indicator.rsi", "params": {"period": 2.5}},
            {"id": "lonely", "kind": "indicator.ema"},
            {"id": "up", "kind": "signal.cross_above"},
            {"id": "buy", "kind": "order.exit_long"}
        ],
        "edges": [
            {"from": "c", "from_port": "out", "to": "s", "to_port": "in"},
            {"from": "c", "from_port": "out", "to": "r", "to_port": "in"},
            {"from": "c", "from_port": "out", "to": "lonely", "to_port": "in"},
            {"from": "c", "from_port": "out", "to": "lonely", "to_port": "in"},
            {"from": "s", "from_port": "bogus", "to": "up", "to_port": "a"},
            {"from": "r", "from_port": "out", "to": "up", "to_port": "b"},
            {"from": "ghost", "from_port": "out", "to": "up", "to_port": "a"},
            {"from": "up", "from_port": "out", "to": "buy", "to_port": "when"}
        ],
        "parameters": [{"name": "p", "type": "int", "default": 5, "min": 10, "max": 1}],
        "settings": {"initial_cash": -5}
    });
    let p = validate(&doc).problems;
    for (code, node) in [
        (ProblemCode::DuplicateId, Some("c")),
        (ProblemCode::UnknownKind, Some("x")),
        (ProblemCode::OutOfRange, Some("s")),
        (ProblemCode::UnknownParam, Some("s")),
        (ProblemCode::InvalidParam, Some("r")),
        (ProblemCode::MultipleInputs, Some("lonely")),
        (ProblemCode::Unused, Some("lonely")),
        (ProblemCode::UnknownPort, Some("s")),
        (ProblemCode::UnknownNode, Some("up")),
        (ProblemCode::NoEntry, None),
        (ProblemCode::BadParameter, None),
        (ProblemCode::BadSetting, None),
    ] {
        assert!(
            p.iter()
                .any(|x| x.code == code && x.node.as_deref() == node),
            "{code:?} {node:?}: {p:#?}"
        );
    }
}

#[test]
fn structural_garbage_is_reported_not_panicked_on() {
    for doc in [
        json!(null),
        json!([1, 2]),
        json!({"schema": 2, "nodes": "no"}),
        json!({"schema": 1, "nodes": [{"id": 5}], "edges": [{"from": 1}], "parameters": [7], "settings": 3}),
    ] {
        let v = validate(&doc);
        assert!(!v.is_valid());
        assert!(v.problems.iter().all(|p| !p.message.is_empty()));
    }
}

#[test]
fn examples_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let doc: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let v = validate(&doc);
            assert!(v.is_valid(), "{}: {:#?}", path.display(), v.problems);
            n += 1;
        }
    }
    assert!(n >= 4);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| json!(f)),
        prop_oneof![
            Just("source.close".to_string()),
            Just("indicator.sma".to_string()),
            Just("out".to_string()),
            Just("$param".to_string()),
            "[a-z_.$]{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("schema".to_string()),
                    Just("nodes".to_string()),
                    Just("edges".to_string()),
                    Just("id".to_string()),
                    Just("kind".to_string()),
                    Just("params".to_string()),
                    Just("from".to_string()),
                    Just("to".to_string()),
                    Just("from_port".to_string()),
                    Just("to_port".to_string()),
                    Just("parameters".to_string()),
                    Just("settings".to_string()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Arbitrary JSON never panics the validator.
    #[test]
    fn validate_never_panics_on_arbitrary_json(doc in arb_json()) {
        let _ = validate(&doc);
    }

    /// Arbitrary graphs (random kinds, ports, params, edges) never panic validation, and the
    /// ones that pass compile and run.
    #[test]
    fn random_graphs_validate_compile_and_run_without_panic(seed in any::<u64>()) {
        let doc = random_graph(seed);
        let v = validate(&doc);
        if v.is_valid() {
            let plan = compile(&v.graph, &BTreeMap::new());
            prop_assert!(plan.is_ok(), "{:?}", plan.err());
            let bars = random_walk(&SynthConfig { seed, bars: 120, ..Default::default() }).unwrap();
            let _ = backtest(&plan.unwrap(), &bars);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Every generated DAG is valid and compiles; adding a back edge is reported as a cycle
    /// naming the nodes on it.
    #[test]
    fn valid_dags_compile_and_back_edges_are_cycles(seed in any::<u64>()) {
        let (doc, back_edge) = valid_graph(seed);
        let v = validate(&doc);
        prop_assert!(v.is_valid(), "{:#?}\n{}", v.problems, doc);
        prop_assert!(compile(&v.graph, &BTreeMap::new()).is_ok());
        if let Some((edge, on_cycle)) = back_edge {
            let mut cyclic = doc.clone();
            cyclic["edges"].as_array_mut().unwrap().push(edge);
            let p = validate(&cyclic).problems;
            for node in on_cycle {
                prop_assert!(has(&p, ProblemCode::Cycle, &node), "{node}: {p:#?}");
            }
        }
    }
}

/// `docs/nodes.md` is the catalog's node reference: regenerated whenever a kind changes.
#[test]
fn node_reference_in_docs_is_up_to_date() {
    use stratagraph_engine::catalog::{markdown, NODES_MD_COMMAND};
    let path = format!("{}/../../docs/nodes.md", env!("CARGO_MANIFEST_DIR"));
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == markdown(),
        "docs/nodes.md is out of date with the catalog; regenerate it with\n    {NODES_MD_COMMAND}"
    );
}

/// `source.close` → `n` chained SMAs → a cross with the close → a long entry.
fn chain(n: usize) -> Value {
    let mut nodes = vec![json!({"id": "close", "kind": "source.close"})];
    let mut edges = vec![];
    let mut prev = "close".to_string();
    for i in 0..n {
        let id = format!("m{i}");
        nodes.push(json!({"id": id, "kind": "indicator.sma", "params": {"period": 1}}));
        edges.push(json!({"from": prev, "from_port": "out", "to": id, "to_port": "in"}));
        prev = id;
    }
    nodes.push(json!({"id": "x", "kind": "signal.cross_above"}));
    nodes.push(json!({"id": "buy", "kind": "order.enter_long", "params": {"size": {"equity_fraction": 1.0}}}));
    edges.push(json!({"from": "close", "from_port": "out", "to": "x", "to_port": "a"}));
    edges.push(json!({"from": prev, "from_port": "out", "to": "x", "to_port": "b"}));
    edges.push(json!({"from": "x", "from_port": "out", "to": "buy", "to_port": "when"}));
    json!({"schema": 1, "nodes": nodes, "edges": edges})
}

#[test]
fn a_chain_at_the_node_limit_validates_compiles_and_runs_without_deep_recursion() {
    // petgraph's recursive tarjan_scc overflowed the stack here (100,000 nodes, exit 134).
    let n = stratagraph_engine::validate::MAX_NODES - 3;
    let doc = chain(n);
    let v = validate(&doc);
    assert!(v.is_valid(), "{:?}", &v.problems[..v.problems.len().min(3)]);
    let plan = compile(&v.graph, &BTreeMap::new()).unwrap();
    let bars = random_walk(&SynthConfig {
        bars: 50,
        ..SynthConfig::default()
    })
    .unwrap();
    let r = backtest(&plan, &bars);
    assert_eq!(r.equity.len(), 50);
}

#[test]
fn a_million_nodes_are_refused_with_the_limit() {
    let mut doc = chain(10);
    doc["nodes"] = Value::Array(vec![json!({"id": "n", "kind": "source.close"}); 1_000_000]);
    let v = validate(&doc);
    assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
    let p = &v.problems[0];
    assert_eq!(p.code, ProblemCode::TooLarge);
    assert_eq!(
        p.message,
        "the graph has 1,000,000 nodes; the limit is 100,000"
    );
}

#[test]
fn numbers_in_messages_are_written_as_a_person_writes_them() {
    let mut doc = chain(1);
    doc["nodes"][3]["params"] = json!({"size": {"equity_fraction": 0}});
    doc["settings"] = json!({"initial_cash": 1e308});
    let v = validate(&doc);
    let text: Vec<String> = v.problems.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with("buy:") && t.ends_with("must be greater than 0, got 0")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("settings.initial_cash")
            && t.contains("at most 1e12")
            && t.ends_with("got 1e308")),
        "{text:?}"
    );
    assert!(text.iter().all(|t| t.len() < 200), "{text:?}");
}

#[test]
fn the_run_hash_does_not_depend_on_the_order_of_the_lists() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sma_crossover.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut shuffled = doc.clone();
    shuffled["nodes"].as_array_mut().unwrap().reverse();
    shuffled["edges"].as_array_mut().unwrap().reverse();
    shuffled["parameters"].as_array_mut().unwrap().reverse();
    let bars = random_walk(&SynthConfig::default()).unwrap();
    let run = |d: &Value| {
        let v = validate(d);
        assert!(v.is_valid(), "{:?}", v.problems);
        backtest(&compile(&v.graph, &BTreeMap::new()).unwrap(), &bars)
    };
    let (a, b) = (run(&doc), run(&shuffled));
    assert_eq!(a.hash, b.hash);
    assert_eq!(a.trades, b.trades);
}
