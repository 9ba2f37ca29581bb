//! Printing results as text or JSON, and a spinner while the CLI waits on a chain.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Where and how results are printed.
pub(crate) struct Output {
    /// JSON instead of text.
    pub(crate) json: bool,
}

impl Output {
    /// Prints `value` as pretty JSON with `--json`, else the text `human` renders.
    pub(crate) fn emit<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            println!("{}", human(value));
        }
        Ok(())
    }

    /// A spinner on stderr saying `message` until the returned guard is dropped;
    /// none with `--json` or when stderr is not a terminal, so scripts and logs see
    /// only the result.
    pub(crate) fn progress(&self, message: impl Into<String>) -> Progress {
        if self.json || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress(Some(bar))
    }
}

/// A running spinner (see [`Output::progress`]); cleared when dropped.
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    /// Replaces the spinner's message.
    pub(crate) fn say(&self, message: impl Into<String>) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.into());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
