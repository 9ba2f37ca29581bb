//! The SDK's names of the programs' error codes (`stablerail_sdk::solana::
//! ESCROW_ERRORS`, `MULTISIG_ERRORS`) are the programs' `#[error_code]` enums, in
//! declaration order: read from the programs' sources here, and checked against
//! the compiled enums' numbers.

use stablerail_sdk::solana::sdk::Pubkey;
use stablerail_sdk::solana::{
    ESCROW_ERRORS, MULTISIG_ERRORS, PROGRAM_ERROR_OFFSET, ProgramError, error_name, pda,
};

/// The variant names of `pub enum <name> { ... }` in `source`, attributes and
/// comments left out.
fn variants(source: &str, name: &str) -> Vec<String> {
    let start = source.find(&format!("pub enum {name} {{")).unwrap();
    let body = &source[start..];
    let body = &body[body.find('{').unwrap() + 1..];
    let mut text = String::new();
    let (mut depth, mut in_string) = (0usize, false);
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            if c == '\\' {
                chars.next();
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '#' if chars.peek() == Some(&'[') => {
                chars.next();
                depth += 1;
            }
            '[' if depth > 0 => depth += 1,
            ']' if depth > 0 => depth -= 1,
            '}' if depth == 0 => break,
            _ if depth > 0 => {}
            c => text.push(c),
        }
    }
    text.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_name_tables_are_the_programs_enums() {
    let escrow = variants(
        include_str!("../../../programs/escrow/src/errors.rs"),
        "EscrowError",
    );
    assert_eq!(escrow, ESCROW_ERRORS);
    let multisig = variants(
        include_str!("../../../programs/multisig/src/errors.rs"),
        "MultisigError",
    );
    assert_eq!(multisig, MULTISIG_ERRORS);
    for v in escrow.iter().chain(&multisig) {
        assert!(v.chars().all(|c| c.is_ascii_alphanumeric()), "{v:?}");
    }
}

#[test]
fn codes_are_the_compiled_programs() {
    use stablerail_escrow::errors::EscrowError as E;
    use stablerail_multisig::errors::MultisigError as M;
    let escrow = pda::ESCROW_PROGRAM_ID;
    let multisig = pda::MULTISIG_PROGRAM_ID;
    for (code, name) in [
        (u32::from(E::Overflow), "Overflow"),
        (u32::from(E::NotDealSeller), "NotDealSeller"),
        (u32::from(E::AllowanceExceeded), "AllowanceExceeded"),
        (u32::from(E::BuyOrderMismatch), "BuyOrderMismatch"),
    ] {
        assert_eq!(error_name(&escrow, code), Some(name));
    }
    for (code, name) in [
        (u32::from(M::NoOwners), "NoOwners"),
        (u32::from(M::NotAnOwner), "NotAnOwner"),
        (
            u32::from(M::ProtectedAccountWritable),
            "ProtectedAccountWritable",
        ),
    ] {
        assert_eq!(error_name(&multisig, code), Some(name));
    }
    // The last of each table is the last code: nothing after it is named.
    let last = u32::from(E::BuyOrderMismatch);
    assert_eq!(last, PROGRAM_ERROR_OFFSET + ESCROW_ERRORS.len() as u32 - 1);
    assert_eq!(error_name(&escrow, last + 1), None);
    let e = ProgramError::new(multisig, u32::from(M::ProposalStale));
    assert_eq!(
        e.to_string(),
        format!("multisig program error ProposalStale ({})", e.code)
    );
    assert_eq!(
        ProgramError::new(Pubkey::new_from_array([1; 32]), 6_000).name,
        None
    );
}
