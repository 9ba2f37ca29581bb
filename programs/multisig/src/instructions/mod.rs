//! One module per instruction, named noun first.

mod config_owner_add;
mod config_owner_remove;
mod config_threshold_change;
mod config_time_lock_set;
mod multisig_create;
mod proposal_approve;
mod proposal_cancel;
mod proposal_close;
mod proposal_create;
mod proposal_execute;
mod proposal_reject;
mod spending_limit_add;
mod spending_limit_remove;
mod spending_limit_use;

pub use config_owner_add::*;
pub use config_owner_remove::*;
pub use config_threshold_change::*;
pub use config_time_lock_set::*;
pub use multisig_create::*;
pub use proposal_approve::*;
pub use proposal_cancel::*;
pub use proposal_close::*;
pub use proposal_create::*;
pub use proposal_execute::*;
pub use proposal_reject::*;
pub use spending_limit_add::*;
pub use spending_limit_remove::*;
pub use spending_limit_use::*;
