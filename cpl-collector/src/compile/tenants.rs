//! Tenants as guarded chains (spec/sampling.md, "The tenant of a trace").
//!
//! A trace's tenant is the smallest tenant id among its root spans that carry one,
//! else the smallest carried by any span; a span carries the tenant attribute's value
//! when it is a string, or the decimal text of an int. Each way the tenant can come
//! out is a conjunction of "some span …" and "no span …" tests, which is what an
//! `and` of `ottl_condition` and `not` sub-policies can say (v0.161 allows nothing
//! deeper). For an overridden tenant *t*:
//!
//! - **root:** some root span carries *t*, and no root span carries an id below *t*;
//! - **any:** no root span carries an id, some span carries *t*, and none carries an
//!   id below *t*.
//!
//! Every other trace uses the policy as written. With the overridden ids sorted,
//! o₁ < … < oₖ, such a trace carries no id at all, or its tenant lies strictly between
//! two neighbours (or before o₁, or after oₖ), found from root spans or from any span
//! as above: 2k + 3 mutually exclusive cases, each a conjunction. The cases of all
//! chains together cover every trace exactly once, so the OR of all policies is the
//! first-match decision of the trace's own tenant.

use cpl_syntax::Policy;

use super::cond::{and, call, cmp, or, string, Cond};
use super::expr::attribute_path;
use super::Chain;

/// The span-level tests on the tenant attribute.
struct Carried {
    /// The attribute's OTTL path.
    path: String,
}

impl Carried {
    /// The span carries a tenant id: a string, or an int.
    fn any(&self) -> Cond {
        or([
            call(format!("IsString({})", self.path)),
            call(format!("IsInt({})", self.path)),
        ])
    }

    /// The span carries `tenant`: the string itself, or an int whose decimal text it
    /// is (no leading zeros or `+`; only a canonical decimal can equal that text).
    fn equal(&self, tenant: &str) -> Cond {
        let int = tenant
            .parse::<i64>()
            .ok()
            .filter(|n| n.to_string() == tenant)
            .map(|n| {
                and([
                    call(format!("IsInt({})", self.path)),
                    cmp(&self.path, "==", &n.to_string()),
                ])
            });
        or([cmp(&self.path, "==", &string(tenant))]
            .into_iter()
            .chain(int))
    }

    /// The span carries an id ordered `op` (`<` or `<=`) against `tenant`, by bytes.
    /// An int's id is its decimal text, which OTTL's `String()` writes.
    fn ordered(&self, op: &str, tenant: &str) -> Cond {
        let text = string(tenant);
        or([
            // `<` and `<=` are false between a string and any other type in OTTL.
            cmp(&self.path, op, &text),
            and([
                call(format!("IsInt({})", self.path)),
                cmp(&format!("String({})", self.path), op, &text),
            ]),
        ])
    }
}

fn root(cond: Cond) -> Cond {
    and([call("IsRootSpan()".to_owned()), cond])
}

/// The chains of `policy`: one without guards when it has no tenant overrides that
/// change anything, else one per case described in the module documentation.
pub(crate) fn chains(policy: &Policy) -> Vec<Chain<'_>> {
    let default = |prefix: String, guards: Vec<(bool, Cond)>| Chain {
        prefix,
        guards,
        conditions: policy.conditions_for(None),
        base_rate: policy.base_rate_for(None),
    };
    let Some(tenants) = &policy.tenants else {
        return vec![default("cpl-".to_owned(), Vec::new())];
    };
    let Some(path) = attribute_path(&tenants.attribute.value) else {
        return vec![default("cpl-".to_owned(), Vec::new())];
    };
    // An override that sets nothing decides like the policy as written.
    let mut ids: Vec<&str> = tenants
        .overrides
        .iter()
        .filter(|o| o.base_rate.is_some() || !o.conditions.is_empty())
        .map(|o| o.tenant.value.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return vec![default("cpl-".to_owned(), Vec::new())];
    }
    let carried = Carried { path };
    let mut chains = Vec::new();
    for &tenant in &ids {
        let chain = |prefix: String, guards| Chain {
            prefix,
            guards,
            conditions: policy.conditions_for(Some(tenant)),
            base_rate: policy.base_rate_for(Some(tenant)),
        };
        chains.push(chain(
            format!("cpl-tenant-{tenant}-root-"),
            vec![
                (false, root(carried.equal(tenant))),
                (true, root(carried.ordered("<", tenant))),
            ],
        ));
        chains.push(chain(
            format!("cpl-tenant-{tenant}-any-"),
            vec![
                (true, root(carried.any())),
                (false, carried.equal(tenant)),
                (true, carried.ordered("<", tenant)),
            ],
        ));
    }
    chains.push(default(
        "cpl-default-none-".to_owned(),
        vec![(true, carried.any())],
    ));
    // The gaps around the overridden ids: (-inf, o1), (o1, o2), ..., (ok, +inf).
    for gap in 0..=ids.len() {
        let below = gap.checked_sub(1).map(|i| ids[i]);
        let above = ids.get(gap).copied();
        // The tenant is < above (some carried id is), and > below (none is <= below).
        let upper = |within: &dyn Fn(Cond) -> Cond| match above {
            Some(above) => within(carried.ordered("<", above)),
            None => within(carried.any()),
        };
        let mut root_guards = vec![(false, upper(&root))];
        let mut any_guards = vec![(true, root(carried.any())), (false, upper(&|c| c))];
        if let Some(below) = below {
            root_guards.push((true, root(carried.ordered("<=", below))));
            any_guards.push((true, carried.ordered("<=", below)));
        }
        chains.push(default(format!("cpl-default-root-{gap}-"), root_guards));
        chains.push(default(format!("cpl-default-any-{gap}-"), any_guards));
    }
    chains
}
