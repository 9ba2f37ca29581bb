//! Anchor's wire format: an 8-byte discriminator, then the Borsh-encoded arguments.
//!
//! Instruction discriminators are `sha256("global:<instruction name>")[..8]`,
//! account discriminators `sha256("account:<AccountType>")[..8]`; Anchor 1.x keeps
//! both defaults, which the programs use.

use borsh::BorshSerialize;
use sha2::{Digest, Sha256};

/// Length of an Anchor discriminator.
pub const DISCRIMINATOR_LEN: usize = 8;

fn discriminator(namespace: &str, name: &str) -> [u8; DISCRIMINATOR_LEN] {
    let digest = Sha256::new()
        .chain_update(namespace.as_bytes())
        .chain_update(b":")
        .chain_update(name.as_bytes())
        .finalize();
    let mut out = [0u8; DISCRIMINATOR_LEN];
    out.copy_from_slice(&digest[..DISCRIMINATOR_LEN]);
    out
}

/// The discriminator of instruction `name` (snake case, as in the program's `lib.rs`).
pub fn instruction_discriminator(name: &str) -> [u8; DISCRIMINATOR_LEN] {
    discriminator("global", name)
}

/// The discriminator of account type `name` (the struct's name, e.g. `EscrowAccount`).
pub fn account_discriminator(name: &str) -> [u8; DISCRIMINATOR_LEN] {
    discriminator("account", name)
}

/// Instruction data: the discriminator of `name` followed by `args` in Borsh.
pub fn instruction_data<A: BorshSerialize>(name: &str, args: &A) -> Vec<u8> {
    let mut data = instruction_discriminator(name).to_vec();
    // Writing into a Vec cannot fail.
    args.serialize(&mut data)
        .unwrap_or_else(|_| unreachable!("borsh into a Vec is infallible"));
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_discriminators() {
        // Anchor's `global:initialize`, as printed in countless IDLs.
        assert_eq!(
            instruction_discriminator("initialize"),
            [175, 175, 109, 31, 13, 152, 155, 237]
        );
        assert_ne!(
            instruction_discriminator("deposit"),
            instruction_discriminator("withdraw")
        );
        assert_eq!(instruction_data("deposit", &7u64).len(), 16);
    }
}
