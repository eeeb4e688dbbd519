//! ## L323 costly-base-rate (warning)
//!
//! **What it finds.** A `base_rate` above 0.5, in `sampling` or in a tenant override.
//!
//! **Why it matters.** The base rate decides every trace no condition decides: usually
//! most of the traffic. Above 0.5 the sampler keeps more than half of that routine
//! traffic, so it saves less than half of the cost it exists to save. The traces that
//! matter (errors, slow requests) are better kept by conditions, with a low base rate
//! for the rest. A deliberate full-capture environment can set `base_rate: 1` and
//! suppress this warning.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.8   # L323: keeps 80% of routine traffic
//!   conditions:
//!     - name: errors
//!       when: "status == ERROR"
//! ```

use cpl_syntax::{codes, Diagnostic};

use super::{percent, Context};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let policy = context.policy;
    let mut rates = vec![(None, &policy.sampling.base_rate)];
    for tenant in policy.tenants.iter().flat_map(|t| &t.overrides) {
        if let Some(rate) = &tenant.base_rate {
            rates.push((Some(tenant.tenant.value.as_str()), rate));
        }
    }
    for (tenant, rate) in rates {
        if rate.value <= 0.5 {
            continue;
        }
        let whose = tenant.map_or_else(String::new, |t| format!(" of tenant `{t}`"));
        let value = rate.value;
        out.push(
            Diagnostic::new(
                &codes::COSTLY_BASE_RATE,
                format!(
                    "`base_rate: {value}`{whose} keeps {} of the traces no condition decides",
                    percent(value)
                ),
                rate.span.clone(),
                "above 0.5",
            )
            .with_help("keep what matters with conditions and lower the base rate (e.g. 0.05)"),
        );
    }
}
