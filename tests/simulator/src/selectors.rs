//! Label selectors (equality- and set-based, as `k8s.io/apimachinery/pkg/labels.Parse` accepts them)
//! and field selectors (`k=v`, `k==v`, `k!=v`, comma-AND, with `\` escapes).

use std::collections::BTreeMap;

/// One label requirement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
    Gt(String, i64),
    Lt(String, i64),
}

/// A parsed label selector: all requirements must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LabelSelector(pub Vec<LabelReq>);

impl LabelSelector {
    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            LabelReq::Eq(k, v) => labels.get(k) == Some(v),
            LabelReq::NotEq(k, v) => labels.get(k) != Some(v),
            LabelReq::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            LabelReq::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            LabelReq::Exists(k) => labels.contains_key(k),
            LabelReq::DoesNotExist(k) => !labels.contains_key(k),
            LabelReq::Gt(k, n) => labels
                .get(k)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l > *n),
            LabelReq::Lt(k, n) => labels
                .get(k)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l < *n),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Eq,
    DoubleEq,
    NotEq,
    Not,
    In,
    NotIn,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
}

fn is_ident_char(c: char) -> bool {
    !c.is_whitespace() && !"=!(),<>".contains(c)
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' => {
                chars.next();
                if chars.peek() == Some(&'=') {
                    chars.next();
                    toks.push(Tok::DoubleEq);
                } else {
                    toks.push(Tok::Eq);
                }
            }
            '!' => {
                chars.next();
                if chars.peek() == Some(&'=') {
                    chars.next();
                    toks.push(Tok::NotEq);
                } else {
                    toks.push(Tok::Not);
                }
            }
            '(' | ')' | ',' | '<' | '>' => {
                chars.next();
                toks.push(match c {
                    '(' => Tok::Open,
                    ')' => Tok::Close,
                    ',' => Tok::Comma,
                    '<' => Tok::Lt,
                    _ => Tok::Gt,
                });
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if !is_ident_char(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                toks.push(match word.as_str() {
                    "in" => Tok::In,
                    "notin" => Tok::NotIn,
                    _ => Tok::Ident(word),
                });
            }
        }
    }
    Ok(toks)
}

fn valid_key(k: &str) -> bool {
    let (prefix, name) = match k.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c))
    });
    name_ok && prefix_ok
}

fn valid_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
}

/// Parses a label selector; the error text follows apimachinery's wording closely enough for a 400.
pub(crate) fn parse_label_selector(s: &str) -> Result<LabelSelector, String> {
    let toks = lex(s)?;
    let mut reqs = Vec::new();
    let mut i = 0;
    let err = |what: &str| format!("unable to parse requirement: {what} in selector {s:?}");
    let key_at = |i: usize| -> Result<String, String> {
        match toks.get(i) {
            Some(Tok::Ident(k)) if valid_key(k) => Ok(k.clone()),
            Some(Tok::Ident(k)) => Err(format!(
                "unable to parse requirement: invalid label key {k:?}: name part must consist of alphanumeric characters, '-', '_' or '.'"
            )),
            _ => Err(err("expected a key")),
        }
    };
    let value = |v: &str| -> Result<String, String> {
        if valid_value(v) {
            Ok(v.to_string())
        } else {
            Err(format!(
                "unable to parse requirement: values[0][{v}]: Invalid value: {v:?}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'"
            ))
        }
    };
    while i < toks.len() {
        if toks[i] == Tok::Not {
            reqs.push(LabelReq::DoesNotExist(key_at(i + 1)?));
            i += 2;
        } else {
            let key = key_at(i)?;
            i += 1;
            match toks.get(i) {
                None | Some(Tok::Comma) => reqs.push(LabelReq::Exists(key)),
                Some(op @ (Tok::Eq | Tok::DoubleEq | Tok::NotEq)) => {
                    let v = match toks.get(i + 1) {
                        Some(Tok::Ident(v)) => {
                            i += 2;
                            value(v)?
                        }
                        // `a=` selects an empty value.
                        None | Some(Tok::Comma) => {
                            i += 1;
                            String::new()
                        }
                        _ => return Err(err("expected a value")),
                    };
                    reqs.push(if *op == Tok::NotEq {
                        LabelReq::NotEq(key, v)
                    } else {
                        LabelReq::Eq(key, v)
                    });
                }
                Some(op @ (Tok::In | Tok::NotIn)) => {
                    if toks.get(i + 1) != Some(&Tok::Open) {
                        return Err(err("expected '(' after set operator"));
                    }
                    i += 2;
                    let mut vals = Vec::new();
                    loop {
                        match toks.get(i) {
                            Some(Tok::Ident(v)) => {
                                vals.push(value(v)?);
                                i += 1;
                            }
                            Some(Tok::Comma) => i += 1,
                            Some(Tok::Close) => {
                                i += 1;
                                break;
                            }
                            _ => return Err(err("expected ')'")),
                        }
                    }
                    if vals.is_empty() && *op == Tok::In {
                        return Err(err("for 'in' operator, values set can't be empty"));
                    }
                    reqs.push(if *op == Tok::In {
                        LabelReq::In(key, vals)
                    } else {
                        LabelReq::NotIn(key, vals)
                    });
                }
                Some(op @ (Tok::Gt | Tok::Lt)) => {
                    let n = match toks.get(i + 1) {
                        Some(Tok::Ident(v)) => v.parse::<i64>().map_err(|_| {
                            err("for 'Gt', 'Lt' operators, the value must be an integer")
                        })?,
                        _ => return Err(err("expected an integer")),
                    };
                    i += 2;
                    reqs.push(if *op == Tok::Gt {
                        LabelReq::Gt(key, n)
                    } else {
                        LabelReq::Lt(key, n)
                    });
                }
                Some(t) => return Err(err(&format!("unexpected token {t:?}"))),
            }
        }
        match toks.get(i) {
            None => break,
            Some(Tok::Comma) => i += 1,
            Some(t) => return Err(err(&format!("expected ',' but got {t:?}"))),
        }
    }
    Ok(LabelSelector(reqs))
}

/// One field requirement: `field = value` or `field != value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldReq {
    pub field: String,
    pub value: String,
    pub negate: bool,
}

/// A parsed field selector: all requirements must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FieldSelector(pub Vec<FieldReq>);

impl FieldSelector {
    /// `lookup` returns the object's value for a field label (`""` when unset).
    pub(crate) fn matches<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.0.iter().all(|r| {
            let v = lookup(&r.field).unwrap_or("");
            (v == r.value) != r.negate
        })
    }
}

/// Splits on an unescaped separator, keeping escapes for the next stage.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push('\\');
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if escaped {
        // A trailing backslash: keep it so unescaping reports it.
        cur.push('\\');
    }
    parts.push(cur);
    parts
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(e @ ('\\' | ',' | '=')) => out.push(e),
                other => {
                    return Err(format!(
                        "invalid field selector: invalid escape sequence: \\{}",
                        other.map(String::from).unwrap_or_default()
                    ));
                }
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Parses a field selector.
pub(crate) fn parse_field_selector(s: &str) -> Result<FieldSelector, String> {
    let mut reqs = Vec::new();
    for part in split_unescaped(s, ',') {
        if part.trim().is_empty() {
            continue;
        }
        let (field, value, negate) = if let Some((f, v)) = part.split_once("!=") {
            (f, v, true)
        } else if let Some((f, v)) = part.split_once("==") {
            (f, v, false)
        } else if let Some((f, v)) = part.split_once('=') {
            (f, v, false)
        } else {
            return Err(format!(
                "invalid selector: '{s}'; can't understand '{part}'"
            ));
        };
        reqs.push(FieldReq {
            field: unescape(field.trim())?,
            value: unescape(value.trim())?,
            negate,
        });
    }
    Ok(FieldSelector(reqs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_every_operator() {
        let sel = parse_label_selector(
            "a=b, c==d,e!=f,g in (h, i),j notin (k),l,!m,n>5,o<3,app.kubernetes.io/name=x",
        )
        .unwrap();
        assert_eq!(sel.0.len(), 10);
        assert_eq!(
            sel.0[3],
            LabelReq::In("g".into(), vec!["h".into(), "i".into()])
        );
        assert_eq!(sel.0[6], LabelReq::DoesNotExist("m".into()));
        assert_eq!(sel.0[7], LabelReq::Gt("n".into(), 5));
    }

    #[test]
    fn matches_like_apimachinery() {
        let l = labels(&[("app", "web"), ("tier", "fe"), ("n", "7")]);
        let m = |s: &str| parse_label_selector(s).unwrap().matches(&l);
        assert!(m("app=web"));
        assert!(m("app==web,tier"));
        assert!(!m("app!=web"));
        assert!(m("missing!=x"));
        assert!(m("app in (api,web)"));
        assert!(!m("app notin (web)"));
        assert!(m("missing notin (web)"));
        assert!(m("!missing"));
        assert!(!m("!app"));
        assert!(m("n>5") && !m("n<5"));
        assert!(m(""));
        assert!(!m("app="));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["a in b", "a in (", "=b", "a b", "a=b=c", "a in ()", "n>x"] {
            assert!(parse_label_selector(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_selectors() {
        let sel = parse_field_selector("spec.nodeName=n1,status.phase!=Failed").unwrap();
        let get = |f: &str| match f {
            "spec.nodeName" => Some("n1"),
            "status.phase" => Some("Running"),
            _ => None,
        };
        assert!(sel.matches(get));
        let sel = parse_field_selector("spec.nodeName==").unwrap();
        assert!(!sel.matches(get));
        assert!(sel.matches(|_| None));
        let sel = parse_field_selector(r"metadata.name=a\,b").unwrap();
        assert_eq!(sel.0[0].value, "a,b");
        assert!(parse_field_selector("nonsense").is_err());
    }
}
