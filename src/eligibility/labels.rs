//! Label requirements as `k8s.io/apimachinery/pkg/labels` builds and matches them: validation of
//! keys and values (`NewRequirement`), matching (`Requirement.Matches`), `metav1.LabelSelector`
//! conversion, and the kubectl selector syntax used by `-l` and `--node-selector`.

use std::fmt;

use crate::model::{LabelSelector, Labels};

/// Operators of a label requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
    Equals,
    NotEquals,
}

impl Op {
    /// The operator as the Kubernetes API spells it.
    pub fn as_api(self) -> &'static str {
        match self {
            Op::In => "In",
            Op::NotIn => "NotIn",
            Op::Exists => "Exists",
            Op::DoesNotExist => "DoesNotExist",
            Op::Gt => "Gt",
            Op::Lt => "Lt",
            Op::Equals => "=",
            Op::NotEquals => "!=",
        }
    }
}

impl std::str::FromStr for Op {
    type Err = String;

    /// An operator of `matchExpressions` as the API spells it (`In`, `NotIn`, `Exists`,
    /// `DoesNotExist`, `Gt`, `Lt`); label selectors take the first four only
    /// ([`Op::in_label_selector`]).
    fn from_str(s: &str) -> Result<Op, String> {
        Ok(match s {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            "Gt" => Op::Gt,
            "Lt" => Op::Lt,
            other => return Err(format!("{other:?} is not an operator")),
        })
    }
}

impl Op {
    /// A `metav1.LabelSelector` allows the set operators only
    /// (`apimachinery/pkg/apis/meta/v1/helpers.go: LabelSelectorAsSelector`).
    pub fn in_label_selector(self) -> bool {
        matches!(self, Op::In | Op::NotIn | Op::Exists | Op::DoesNotExist)
    }
}

/// A validated label requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

impl Requirement {
    /// `labels.NewRequirement`: validates the key, the number of values for the operator, the
    /// integer form of Gt/Lt values, and every value's label-value syntax.
    pub fn new(key: &str, op: Op, values: &[String]) -> Result<Requirement, String> {
        validate_label_key(key)?;
        match op {
            Op::In | Op::NotIn if values.is_empty() => {
                return Err(format!(
                    "{key}: values must be non-empty for operator {}",
                    op.as_api()
                ));
            }
            Op::Equals | Op::NotEquals if values.len() != 1 => {
                return Err(format!(
                    "{key}: exact-match operators need exactly one value"
                ));
            }
            Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                return Err(format!(
                    "{key}: values must be empty for operator {}",
                    op.as_api()
                ));
            }
            Op::Gt | Op::Lt => {
                if values.len() != 1 {
                    return Err(format!(
                        "{key}: operator {} needs exactly one value",
                        op.as_api()
                    ));
                }
                if values[0].parse::<i64>().is_err() {
                    return Err(format!(
                        "{key}: value {:?} of operator {} is not an integer",
                        values[0],
                        op.as_api()
                    ));
                }
            }
            _ => {}
        }
        for v in values {
            validate_label_value(key, v)?;
        }
        Ok(Requirement {
            key: key.to_string(),
            op,
            values: values.to_vec(),
        })
    }

    /// `Requirement.Matches`.
    pub fn matches(&self, labels: &Labels) -> bool {
        let got = labels.get(&self.key);
        match self.op {
            Op::In | Op::Equals => got.is_some_and(|v| self.values.contains(v)),
            Op::NotIn | Op::NotEquals => got.is_none_or(|v| !self.values.contains(v)),
            Op::Exists => got.is_some(),
            Op::DoesNotExist => got.is_none(),
            Op::Gt | Op::Lt => {
                let (Some(have), Some(want)) = (
                    got.and_then(|v| v.parse::<i64>().ok()),
                    self.values.first().and_then(|v| v.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.op == Op::Gt {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    /// The API's own notation, as users write it in YAML: `key In [a, b]`, `key Exists`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Op::Exists | Op::DoesNotExist => write!(f, "{} {}", self.key, self.op.as_api()),
            Op::Equals => write!(f, "{}={}", self.key, self.values[0]),
            Op::NotEquals => write!(f, "{}!={}", self.key, self.values[0]),
            Op::Gt | Op::Lt => write!(f, "{} {} {}", self.key, self.op.as_api(), self.values[0]),
            Op::In | Op::NotIn => {
                write!(
                    f,
                    "{} {} [{}]",
                    self.key,
                    self.op.as_api(),
                    self.values.join(", ")
                )
            }
        }
    }
}

/// How a node's labels stand against one requirement, in words (for reasons and explain).
pub fn describe_node_value(key: &str, labels: &Labels) -> String {
    match labels.get(key) {
        Some(v) if v.is_empty() => format!("node has {key} (empty value)"),
        Some(v) => format!("node has {key}={v}"),
        None => format!("node has no label {key}"),
    }
}

/// A compiled `metav1.LabelSelector` (`LabelSelectorAsSelector`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `{}` selects everything.
    Everything,
    Requirements(Vec<Requirement>),
}

impl Selector {
    pub fn from_label_selector(sel: &LabelSelector) -> Result<Selector, String> {
        if sel.is_empty() {
            return Ok(Selector::Everything);
        }
        let mut reqs = Vec::new();
        for (k, v) in &sel.match_labels {
            reqs.push(Requirement::new(k, Op::Equals, std::slice::from_ref(v))?);
        }
        for e in &sel.match_expressions {
            let op = e
                .operator
                .parse::<Op>()
                .ok()
                .filter(|op| op.in_label_selector())
                .ok_or_else(|| {
                    format!("{:?} is not a valid label selector operator", e.operator)
                })?;
            reqs.push(Requirement::new(&e.key, op, &e.values)?);
        }
        Ok(Selector::Requirements(reqs))
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        match self {
            Selector::Everything => true,
            Selector::Requirements(reqs) => reqs.iter().all(|r| r.matches(labels)),
        }
    }

    /// kubectl's selector syntax (`a=b,c!=d,e in (x,y),!f,g`), as `-l` and `--node-selector`
    /// take it.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Selector::Everything);
        }
        let mut reqs = Vec::new();
        for part in split_top_level(s)? {
            reqs.push(parse_one(part.trim())?);
        }
        Ok(Selector::Requirements(reqs))
    }
}

impl Selector {
    /// The wire form: the API's `labelSelector` query syntax
    /// (`apimachinery/pkg/labels/selector.go: internalSelector.String`), which [`Selector::parse`]
    /// reads back. Everything is the empty string: the parameter is then not sent, as
    /// `kubectl get -l ''` does.
    pub fn to_query(&self) -> String {
        match self {
            Selector::Everything => String::new(),
            Selector::Requirements(reqs) => {
                let parts: Vec<String> = reqs
                    .iter()
                    .map(|r| requirement_query(&r.key, r.op, &r.values))
                    .collect();
                parts.join(",")
            }
        }
    }
}

impl fmt::Display for Selector {
    /// For people: the wire form, or `(everything)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Everything => write!(f, "(everything)"),
            Selector::Requirements(_) => f.write_str(&self.to_query()),
        }
    }
}

/// A `metav1.LabelSelector` in the API's `labelSelector` query syntax, as read (not validated:
/// an operator a label selector does not allow is written as `key Op (values)`, which the API
/// server rejects as the controller would). `{}` is the empty string.
pub fn label_selector_query(sel: &LabelSelector) -> String {
    let mut parts: Vec<String> = sel
        .match_labels
        .iter()
        .map(|(k, v)| requirement_query(k, Op::Equals, std::slice::from_ref(v)))
        .collect();
    for e in &sel.match_expressions {
        parts.push(match e.operator.parse::<Op>() {
            Ok(op) if op.in_label_selector() => requirement_query(&e.key, op, &e.values),
            _ => format!("{} {} ({})", e.key, e.operator, e.values.join(",")),
        });
    }
    parts.join(",")
}

/// One requirement in the query syntax. Single-value operators take `values[0]` (an empty list
/// writes an empty value).
fn requirement_query(key: &str, op: Op, values: &[String]) -> String {
    let one = values.first().map_or("", String::as_str);
    match op {
        Op::Equals => format!("{key}={one}"),
        Op::NotEquals => format!("{key}!={one}"),
        Op::In => format!("{key} in ({})", values.join(",")),
        Op::NotIn => format!("{key} notin ({})", values.join(",")),
        Op::Exists => key.to_string(),
        Op::DoesNotExist => format!("!{key}"),
        Op::Gt => format!("{key}>{one}"),
        Op::Lt => format!("{key}<{one}"),
    }
}

/// Split on commas that are not inside parentheses.
fn split_top_level(s: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("unbalanced ')' in selector {s:?}"));
                }
            }
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced '(' in selector {s:?}"));
    }
    parts.push(&s[start..]);
    Ok(parts)
}

fn parse_one(part: &str) -> Result<Requirement, String> {
    let bad = || format!("invalid selector requirement {part:?}");
    if part.is_empty() {
        return Err(bad());
    }
    if let Some(key) = part.strip_prefix('!') {
        return Requirement::new(key.trim(), Op::DoesNotExist, &[]);
    }
    // Set-based: `key in (a,b)` / `key notin (a,b)`.
    if let Some(open) = part.find('(') {
        let head = part[..open].trim();
        let inner = part[open + 1..].strip_suffix(')').ok_or_else(bad)?;
        let (key, op) = if let Some(k) = head.strip_suffix(" notin") {
            (k.trim(), Op::NotIn)
        } else if let Some(k) = head.strip_suffix(" in") {
            (k.trim(), Op::In)
        } else {
            return Err(bad());
        };
        let values: Vec<String> = inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        return Requirement::new(key, op, &values);
    }
    for (tok, op) in [("!=", Op::NotEquals), ("==", Op::Equals), ("=", Op::Equals)] {
        if let Some((k, v)) = part.split_once(tok) {
            return Requirement::new(k.trim(), op, &[v.trim().to_string()]);
        }
    }
    for (tok, op) in [(">", Op::Gt), ("<", Op::Lt)] {
        if let Some((k, v)) = part.split_once(tok) {
            return Requirement::new(k.trim(), op, &[v.trim().to_string()]);
        }
    }
    Requirement::new(part, Op::Exists, &[])
}

/// `validation.IsQualifiedName`: `[prefix/]name`, prefix a DNS-1123 subdomain, name ≤ 63
/// characters of `[A-Za-z0-9_.-]` starting and ending alphanumeric.
pub fn validate_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err(format!(
                "invalid label key {key:?}: prefix part must be non-empty"
            ));
        }
        if !is_dns1123_subdomain(p) {
            return Err(format!(
                "invalid label key {key:?}: prefix part must be a lowercase DNS subdomain"
            ));
        }
    }
    if name.is_empty() || name.len() > 63 || !is_label_name(name) {
        return Err(format!(
            "invalid label key {key:?}: name part must be at most 63 characters of \
             [A-Za-z0-9_.-], starting and ending with an alphanumeric character"
        ));
    }
    Ok(())
}

/// `validation.IsValidLabelValue`: empty, or ≤ 63 characters of `[A-Za-z0-9_.-]` starting and
/// ending alphanumeric.
pub fn validate_label_value(key: &str, value: &str) -> Result<(), String> {
    if value.is_empty() || (value.len() <= 63 && is_label_name(value)) {
        Ok(())
    } else {
        Err(format!(
            "invalid label value {value:?} for {key}: must be empty or at most 63 characters \
             of [A-Za-z0-9_.-], starting and ending with an alphanumeric character"
        ))
    }
}

fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
                && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn key_validation_follows_qualified_name_rules() {
        assert!(validate_label_key("kubernetes.io/hostname").is_ok());
        assert!(validate_label_key("gpu").is_ok());
        assert!(validate_label_key("a_b.c-d").is_ok());
        assert!(validate_label_key("invalid key").is_err());
        assert!(validate_label_key("/name").is_err());
        assert!(
            validate_label_key("Example.COM/name").is_err(),
            "prefix must be lowercase"
        );
        assert!(validate_label_key("-bad").is_err());
        assert!(validate_label_key(&"a".repeat(64)).is_err());
        assert!(validate_label_key(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn value_validation_follows_label_value_rules() {
        assert!(validate_label_value("k", "").is_ok());
        assert!(validate_label_value("k", "v1.2_3-x").is_ok());
        assert!(validate_label_value("k", "-1").is_err());
        assert!(validate_label_value("k", "+5").is_err());
        assert!(validate_label_value("k", "invalid value: ___@#$%^").is_err());
    }

    #[test]
    fn kubectl_selector_syntax_parses_every_form() {
        let sel = Selector::parse("a=b,c!=d,e in (x, y),f notin (z),!g,h,i==j").unwrap();
        let Selector::Requirements(reqs) = &sel else {
            panic!("expected requirements")
        };
        let ops: Vec<Op> = reqs.iter().map(|r| r.op).collect();
        assert_eq!(
            ops,
            [
                Op::Equals,
                Op::NotEquals,
                Op::In,
                Op::NotIn,
                Op::DoesNotExist,
                Op::Exists,
                Op::Equals
            ]
        );
        assert_eq!(reqs[2].values, ["x", "y"]);
        assert!(sel.matches(&labels(&[("a", "b"), ("e", "x"), ("h", ""), ("i", "j")])));
        assert!(!sel.matches(&labels(&[
            ("a", "b"),
            ("e", "x"),
            ("h", ""),
            ("i", "j"),
            ("g", "1")
        ])));
        assert_eq!(sel.to_string(), "a=b,c!=d,e in (x,y),f notin (z),!g,h,i=j");
        assert!(Selector::parse("a in (b").is_err());
        assert!(Selector::parse("bad key=1").is_err());
        assert!(Selector::parse(",").is_err());
    }
}
