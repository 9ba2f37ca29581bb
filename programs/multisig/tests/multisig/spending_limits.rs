//! Spending limits.
