//! `stablerail amount`: parse and print exact amounts.

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use stablerail_sdk::Amount;

use crate::output::Output;

/// Arguments of `stablerail amount`.
#[derive(Debug, Args)]
pub(crate) struct AmountArgs {
    /// A decimal amount such as `12.345678` (or smallest units with `--from-units`).
    value: String,
    /// Read VALUE as an integer of smallest units (1 = 0.000001).
    #[arg(long)]
    from_units: bool,
}

#[derive(Serialize)]
struct AmountView {
    amount: Amount,
    units: u64,
}

/// Runs `stablerail amount`.
pub(crate) fn run(out: &Output, args: &AmountArgs) -> anyhow::Result<()> {
    let amount = if args.from_units {
        let units: u64 = args
            .value
            .parse()
            .with_context(|| format!("{:?} is not an integer of smallest units", args.value))?;
        Amount::from_units(units)
    } else {
        args.value.parse::<Amount>()?
    };
    out.emit(
        &AmountView {
            amount,
            units: amount.units(),
        },
        |v| format!("{} ({} units)", v.amount, v.units),
    )
}
