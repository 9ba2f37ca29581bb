//! `sqlx::migrate!` embeds `migrations/` at compile time: rebuild when a migration is
//! added or changed (cargo does not otherwise know the macro reads that directory).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
