//! The invoice state machine, as a pure function of the matched payments and the
//! clock (see the crate README for the table and BTCPay's equivalents).

use serde::Serialize;

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for (the rest of) the payment.
    New,
    /// Paid in full before expiry; not yet final.
    Processing,
    /// Paid in full before expiry and final.
    Settled,
    /// Not paid in full before expiry.
    Expired,
    /// Cancelled, or paid but not final within the monitoring window.
    Invalid,
}

/// Why an invoice is where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Additional {
    /// Nothing to add.
    None,
    /// Less than the amount arrived.
    PaidPartial,
    /// More than the amount arrived (overpaid or paid twice).
    PaidOver,
    /// The full amount arrived only after expiry.
    PaidLate,
    /// Cancelled by the merchant.
    Cancelled,
}

impl Status {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Processing => "processing",
            Self::Settled => "settled",
            Self::Expired => "expired",
            Self::Invalid => "invalid",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "new" => Self::New,
            "processing" => Self::Processing,
            "settled" => Self::Settled,
            "expired" => Self::Expired,
            "invalid" => Self::Invalid,
            _ => return None,
        })
    }
}

impl Additional {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::PaidPartial => "paid_partial",
            Self::PaidOver => "paid_over",
            Self::PaidLate => "paid_late",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Self::None,
            "paid_partial" => Self::PaidPartial,
            "paid_over" => Self::PaidOver,
            "paid_late" => Self::PaidLate,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// A transfer matched to an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// Block height.
    pub block_number: u64,
    /// Log index in the block.
    pub log_index: u64,
    /// Transaction hash.
    pub tx_hash: String,
    /// Smallest units.
    pub amount: u64,
    /// Block time, Unix seconds.
    pub block_time: i64,
    /// Behind the chain's finality line.
    pub confirmed: bool,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evaluation {
    /// Status.
    pub status: Status,
    /// Reason.
    pub additional: Additional,
    /// Sum of every matched payment.
    pub paid: u64,
    /// Sum of the confirmed ones.
    pub confirmed_paid: u64,
}

/// The timers of one invoice, Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// Payments after this are late.
    pub expires_at: i64,
    /// Payments after this are not watched; an invoice still `processing` then is
    /// `invalid`.
    pub monitoring_until: i64,
}

/// The state of an invoice of `amount` (the unique amount asked for) given its
/// payments at time `now` (Unix ms).
pub fn evaluate(
    amount: u64,
    timers: Timers,
    cancelled: bool,
    payments: &[Payment],
    now: i64,
) -> Evaluation {
    let sum = |f: &dyn Fn(&Payment) -> bool| {
        payments
            .iter()
            .filter(|p| f(p))
            .fold(0u64, |a, p| a.saturating_add(p.amount))
    };
    let on_time = |p: &Payment| p.block_time.saturating_mul(1000) <= timers.expires_at;
    let paid = sum(&|_| true);
    let confirmed_paid = sum(&|p| p.confirmed);
    let paid_on_time = sum(&on_time);
    let confirmed_on_time = sum(&|p| on_time(p) && p.confirmed);
    let (status, additional) = if cancelled {
        (Status::Invalid, Additional::Cancelled)
    } else if paid_on_time >= amount {
        let additional = if paid > amount {
            Additional::PaidOver
        } else {
            Additional::None
        };
        let status = if confirmed_on_time >= amount {
            Status::Settled
        } else if now > timers.monitoring_until {
            Status::Invalid
        } else {
            Status::Processing
        };
        (status, additional)
    } else if now <= timers.expires_at {
        let additional = if paid > 0 {
            Additional::PaidPartial
        } else {
            Additional::None
        };
        (Status::New, additional)
    } else if paid >= amount {
        (Status::Expired, Additional::PaidLate)
    } else if paid > 0 {
        (Status::Expired, Additional::PaidPartial)
    } else {
        (Status::Expired, Additional::None)
    };
    Evaluation {
        status,
        additional,
        paid,
        confirmed_paid,
    }
}

/// The webhook events of a change from `old` to `new`; `removed` is true when a
/// payment seen before is gone (a reorg).
pub fn events(
    old: (Status, Additional),
    new: (Status, Additional),
    removed: bool,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    if removed {
        out.push("invoice.payment_removed");
    }
    if old.0 != new.0 {
        match new.0 {
            Status::New => {
                if !removed {
                    out.push("invoice.payment_removed");
                }
            }
            Status::Processing => out.push("invoice.processing"),
            Status::Settled => {
                // Seen for the first time already final: still say `processing`
                // first, so every settled invoice has both events.
                if old.0 == Status::New {
                    out.push("invoice.processing");
                }
                out.push("invoice.settled");
            }
            Status::Expired => out.push("invoice.expired"),
            Status::Invalid => out.push("invoice.invalid"),
        }
    }
    if old.1 != new.1 {
        match new.1 {
            Additional::PaidPartial => out.push("invoice.underpaid"),
            Additional::PaidOver => out.push("invoice.overpaid"),
            Additional::PaidLate => out.push("invoice.payment_late"),
            Additional::None | Additional::Cancelled => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(amount: u64, block_time: i64, confirmed: bool) -> Payment {
        Payment {
            block_number: 1,
            log_index: 0,
            tx_hash: "0x".into(),
            amount,
            block_time,
            confirmed,
        }
    }

    const T: Timers = Timers {
        expires_at: 100_000,
        monitoring_until: 200_000,
    };

    #[test]
    fn table() {
        use Additional as A;
        use Status as S;
        let cases: Vec<(Vec<Payment>, i64, S, A)> = vec![
            (vec![], 50_000, S::New, A::None),
            (vec![], 150_000, S::Expired, A::None),
            (vec![pay(10, 50, false)], 60_000, S::Processing, A::None),
            (vec![pay(10, 50, true)], 60_000, S::Settled, A::None),
            (vec![pay(10, 50, false)], 250_000, S::Invalid, A::None),
            (vec![pay(6, 50, true)], 60_000, S::New, A::PaidPartial),
            (vec![pay(6, 50, true)], 150_000, S::Expired, A::PaidPartial),
            (
                vec![pay(6, 50, true), pay(4, 60, true)],
                70_000,
                S::Settled,
                A::None,
            ),
            (vec![pay(12, 50, true)], 60_000, S::Settled, A::PaidOver),
            (
                vec![pay(10, 50, true), pay(10, 90, true)],
                95_000,
                S::Settled,
                A::PaidOver,
            ),
            (vec![pay(10, 120, true)], 130_000, S::Expired, A::PaidLate),
            (
                vec![pay(6, 50, true), pay(4, 120, true)],
                130_000,
                S::Expired,
                A::PaidLate,
            ),
        ];
        for (payments, now, status, additional) in cases {
            let e = evaluate(10, T, false, &payments, now);
            assert_eq!(
                (e.status, e.additional),
                (status, additional),
                "{payments:?} at {now}"
            );
        }
        let e = evaluate(10, T, true, &[], 1);
        assert_eq!((e.status, e.additional), (S::Invalid, A::Cancelled));
    }

    #[test]
    fn transitions() {
        use Additional as A;
        use Status as S;
        assert_eq!(
            events((S::New, A::None), (S::Processing, A::PaidOver), false),
            ["invoice.processing", "invoice.overpaid"]
        );
        assert_eq!(
            events((S::Processing, A::None), (S::New, A::None), true),
            ["invoice.payment_removed"]
        );
        assert!(events((S::Settled, A::None), (S::Settled, A::None), false).is_empty());
        assert_eq!(
            events((S::New, A::None), (S::Settled, A::None), false),
            ["invoice.processing", "invoice.settled"]
        );
    }
}
