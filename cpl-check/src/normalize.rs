//! The normal form of an expression that `cpl diff` compares (spec/diff.md).
//!
//! Only rewrites that hold under CPL's semantics are made: `NOT` pushed to the
//! predicates by De Morgan and double negation (sound: `NOT` is boolean negation),
//! flattening, sorting and deduplication of `AND`/`OR` operands, and `500 <= x`
//! already reads as `x >= 500` in the tree. Predicates are never turned into one
//! another: `x >= 500` and `NOT x < 500` differ on spans without `x`.

use cpl_syntax::ast::{Expr, ExprKind, Span};

/// The normal form of `expr`, spans cleared. Two expressions with equal normal forms
/// match exactly the same spans.
pub fn normalize(expr: &Expr) -> Expr {
    push_not(&expr.without_spans(), false)
}

/// The normal form printed in canonical CPL: what `cpl diff` shows and compares.
pub fn normal_text(expr: &Expr) -> String {
    normalize(expr).to_string()
}

fn node(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

/// Rewrites `expr` (negated when `negate`) into negation normal form.
fn push_not(expr: &Expr, negate: bool) -> Expr {
    match &expr.kind {
        ExprKind::Not(inner) => push_not(inner, !negate),
        ExprKind::And(items) => {
            let items = items.iter().map(|item| push_not(item, negate)).collect();
            if negate {
                chain(items, false)
            } else {
                chain(items, true)
            }
        }
        ExprKind::Or(items) => {
            let items = items.iter().map(|item| push_not(item, negate)).collect();
            if negate {
                chain(items, true)
            } else {
                chain(items, false)
            }
        }
        _ if negate => node(ExprKind::Not(Box::new(expr.clone()))),
        _ => expr.clone(),
    }
}

/// An AND (`conjunction`) or OR of `items`, flattened, sorted and deduplicated.
fn chain(items: Vec<Expr>, conjunction: bool) -> Expr {
    let mut flat: Vec<Expr> = Vec::new();
    for item in items {
        match item.kind {
            ExprKind::And(inner) if conjunction => flat.extend(inner),
            ExprKind::Or(inner) if !conjunction => flat.extend(inner),
            _ => flat.push(item),
        }
    }
    let mut keyed: Vec<(String, Expr)> = flat.into_iter().map(|e| (e.to_string(), e)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    let mut items: Vec<Expr> = keyed.into_iter().map(|(_, e)| e).collect();
    if items.len() == 1 {
        return items.remove(0);
    }
    node(if conjunction {
        ExprKind::And(items)
    } else {
        ExprKind::Or(items)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(source: &str) -> String {
        normal_text(&cpl_syntax::parse_expression(source).expr.expect("parses"))
    }

    #[test]
    fn layout_order_and_de_morgan_are_no_difference() {
        assert_eq!(text("b == 1 AND a == 1"), text("(a == 1) AND (b == 1)"));
        assert_eq!(
            text("NOT (a == 1 OR b == 2)"),
            text("NOT b == 2 AND NOT a == 1")
        );
        assert_eq!(text("NOT NOT a == 1"), text("a == 1"));
        assert_eq!(
            text("a == 1 AND (b == 2 AND c == 3)"),
            text("c == 3 AND b == 2 AND a == 1")
        );
        assert_eq!(text("500 <= status_code"), text("status_code >= 500"));
        assert_eq!(text("a == 1 OR a == 1"), text("a == 1"));
    }

    #[test]
    fn predicates_are_never_rewritten_into_each_other() {
        assert_ne!(text("status_code >= 500"), text("NOT status_code < 500"));
        assert_ne!(text("method != 'GET'"), text("NOT method == 'GET'"));
        assert_ne!(text("path not contains 'x'"), text("NOT path contains 'x'"));
    }
}
