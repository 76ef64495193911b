//! Label selectors: the wire form (the API's `labelSelector` query syntax) parses back to the
//! same selector, for selectors built from random requirements; the human form stays apart.
//!
//! A seeded generator loop rather than a property-testing crate: the cases are cheap to build
//! and a fixed seed makes any failure reproducible by its iteration number.

use std::collections::BTreeMap;

use ds_coverage::eligibility::labels::{Op, Requirement, Selector, label_selector_query};
use ds_coverage::model::{LabelSelector, LabelSelectorRequirement};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Label names and values with every character class the syntax allows (`-`, `_`, `.`,
/// digits, a DNS prefix), including the empty value.
fn key(rng: &mut Rng) -> String {
    let prefix = rng.pick(&["", "example.com/", "node-role.kubernetes.io/", "a.b-c/"]);
    let name = rng.pick(&["app", "tier", "zone_1", "k8s-app", "x.y", "A9", "gpu"]);
    format!("{prefix}{name}")
}

fn value(rng: &mut Rng) -> String {
    rng.pick(&["", "a", "web", "v1.2", "us-east_1", "Z-9", "0"])
        .to_string()
}

fn number(rng: &mut Rng) -> String {
    rng.pick(&["0", "1", "42", "7", "1000"]).to_string()
}

fn requirement(rng: &mut Rng) -> Requirement {
    let k = key(rng);
    let (op, values) = match rng.below(8) {
        0 => (Op::Equals, vec![value(rng)]),
        1 => (Op::NotEquals, vec![value(rng)]),
        2 | 3 => {
            let n = 1 + rng.below(3);
            let op = if rng.below(2) == 0 { Op::In } else { Op::NotIn };
            // `kubectl`'s parser drops empty values inside a set; keep them non-empty there.
            let vals = (0..n)
                .map(|_| value(rng))
                .map(|v| if v.is_empty() { "e".to_string() } else { v })
                .collect();
            (op, vals)
        }
        4 => (Op::Exists, vec![]),
        5 => (Op::DoesNotExist, vec![]),
        6 => (Op::Gt, vec![number(rng)]),
        _ => (Op::Lt, vec![number(rng)]),
    };
    Requirement::new(&k, op, &values).expect("generated requirements are valid")
}

#[test]
fn parse_wire_parse_round_trips() {
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    for i in 0..5_000 {
        let n = 1 + rng.below(4);
        let selector = Selector::Requirements((0..n).map(|_| requirement(&mut rng)).collect());
        let wire = selector.to_query();
        let back = Selector::parse(&wire)
            .unwrap_or_else(|e| panic!("iteration {i}: {wire:?} does not parse back: {e}"));
        assert_eq!(back, selector, "iteration {i}: {wire:?}");
        // And the wire form of what was parsed is the same text.
        assert_eq!(back.to_query(), wire, "iteration {i}");
    }
}

#[test]
fn everything_is_empty_on_the_wire_and_named_for_people() {
    let everything = Selector::parse("").unwrap();
    assert_eq!(everything, Selector::Everything);
    assert_eq!(everything.to_query(), "");
    assert_eq!(everything.to_string(), "(everything)");
    assert_eq!(Selector::parse("  ").unwrap().to_query(), "");
    let some = Selector::parse("a=b, c notin (x,y)").unwrap();
    assert_eq!(some.to_query(), "a=b,c notin (x,y)");
    assert_eq!(some.to_string(), some.to_query());
}

#[test]
fn a_label_selector_object_has_the_wire_form_of_its_compiled_selector() {
    let mut rng = Rng(0x0DDB_A110_0007);
    for i in 0..2_000 {
        let mut match_labels = BTreeMap::new();
        for _ in 0..rng.below(3) {
            match_labels.insert(key(&mut rng), value(&mut rng));
        }
        let match_expressions: Vec<LabelSelectorRequirement> = (0..rng.below(3))
            .map(|_| {
                let (operator, values) = match rng.below(4) {
                    0 => ("In", vec!["a".to_string(), value(&mut rng)]),
                    1 => ("NotIn", vec!["b".to_string()]),
                    2 => ("Exists", vec![]),
                    _ => ("DoesNotExist", vec![]),
                };
                LabelSelectorRequirement {
                    key: key(&mut rng),
                    operator: operator.to_string(),
                    values: values
                        .into_iter()
                        .map(|v| if v.is_empty() { "e".into() } else { v })
                        .collect(),
                }
            })
            .collect();
        let object = LabelSelector {
            match_labels,
            match_expressions,
        };
        let compiled = Selector::from_label_selector(&object).unwrap();
        let wire = label_selector_query(&object);
        assert_eq!(wire, compiled.to_query(), "iteration {i}");
        assert_eq!(
            Selector::parse(&wire).unwrap(),
            compiled,
            "iteration {i}: {wire:?}"
        );
    }
}

#[test]
fn operators_parse_from_the_api_spelling_only() {
    for (text, op) in [
        ("In", Op::In),
        ("NotIn", Op::NotIn),
        ("Exists", Op::Exists),
        ("DoesNotExist", Op::DoesNotExist),
        ("Gt", Op::Gt),
        ("Lt", Op::Lt),
    ] {
        assert_eq!(text.parse::<Op>(), Ok(op));
        assert_eq!(op.as_api(), text);
    }
    for bad in ["in", "=", "!=", "Equals", ""] {
        assert!(bad.parse::<Op>().is_err(), "{bad:?}");
    }
    assert!(!Op::Gt.in_label_selector() && Op::NotIn.in_label_selector());
}
