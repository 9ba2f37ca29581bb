//! TRON
