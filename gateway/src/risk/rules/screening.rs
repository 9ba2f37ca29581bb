//! Screening: a transfer from or to an address on the screening list.

use serde_json::json;

use crate::risk::{Evidence, Finding, Flow, Severity, SubjectKind, screening::ScreeningList, usdt};

/// A finding per listed party of each transfer (subject: the listed address).
pub fn screen(
    list: &ScreeningList,
    severity: Severity,
    chain: &str,
    flows: &[Flow],
) -> Vec<Finding> {
    if list.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for f in flows {
        for (address, role, other) in [(&f.from, "sender", &f.to), (&f.to, "recipient", &f.from)] {
            let Some(hit) = list.get(chain, address) else {
                continue;
            };
            out.push(Finding {
                rule: "screening",
                severity,
                chain: chain.to_owned(),
                subject_kind: SubjectKind::Address,
                subject: address.clone(),
                summary: format!(
                    "{role} of {} USDT is on list {:?} ({})",
                    usdt(f.amount),
                    hit.list,
                    hit.reason
                ),
                details: json!({
                    "list": hit.list,
                    "reason": hit.reason,
                    "list_line": hit.line,
                    "role": role,
                    "counterparty": other,
                }),
                evidence: vec![Evidence::Transfer(f.clone())],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_listed_parties_only() {
        let (list, _) =
            ScreeningList::parse("c,0x00000000000000000000000000000000000000AA,OFAC,mixer\n");
        let f = |from: &str, to: &str| Flow {
            block_number: 1,
            log_index: 0,
            block_hash: "0x1".into(),
            block_time: 0,
            tx_hash: "0xt".into(),
            from: from.into(),
            to: to.into(),
            amount: 5,
        };
        let listed = "0x00000000000000000000000000000000000000aa";
        let clean = "0x00000000000000000000000000000000000000bb";
        assert!(screen(&list, Severity::High, "c", &[f(clean, clean)]).is_empty());
        let hits = screen(&list, Severity::High, "c", &[f(clean, listed)]);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].subject, listed);
        assert_eq!(hits[0].details["role"], "recipient");
        // Another chain's list entry does not match.
        assert!(screen(&list, Severity::High, "d", &[f(clean, listed)]).is_empty());
    }
}
