//! Errors the library returns, and the one place exit codes are decided.

use std::process::ExitCode;

/// The documented exit codes (README "CI gate and exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Report produced (and, with `--check`, the gate passed).
    Ok = 0,
    /// `--check` given and the gate failed.
    GateFailed = 1,
    /// Usage error: bad flag or bad value.
    Usage = 2,
    /// Could not read the cluster or the input.
    Input = 3,
    /// `fix` could not complete every action it attempted.
    FixIncomplete = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag value that makes no sense; the message says which and what is accepted.
    #[error("{0}")]
    Usage(String),
    /// An input file or stream that cannot be read or parsed.
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    /// Something the audit was asked about is not in the input.
    #[error("{0}")]
    NotFound(String),
    /// Writing the output failed (a closed pipe is not a failure: see `main`).
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// Reading the answer to a question from standard input failed.
    #[error("cannot read standard input: {0}")]
    Stdin(#[source] std::io::Error),
    /// Reading from a live cluster failed (outside a request).
    #[error("{0}")]
    Cluster(String),
    /// A request to the API server failed.
    #[error(transparent)]
    Client(#[from] crate::client::ClientError),
}

impl Error {
    /// Standard output was closed by its reader (`| head`): not a failure of the run.
    pub fn is_closed_output(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Input { .. }
            | Error::NotFound(_)
            | Error::Cluster(_)
            | Error::Client(_)
            | Error::Stdin(_) => Exit::Input,
            // Output failures are rare (disk full); they mean "no report", like an input failure.
            Error::Output(_) => Exit::Input,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_match_the_contract() {
        assert_eq!(Exit::Ok as u8, 0);
        assert_eq!(Exit::GateFailed as u8, 1);
        assert_eq!(Exit::Usage as u8, 2);
        assert_eq!(Exit::Input as u8, 3);
        assert_eq!(Exit::FixIncomplete as u8, 4);
        assert_eq!(Error::Usage("x".into()).exit(), Exit::Usage);
        assert_eq!(
            Error::Input {
                path: "f".into(),
                message: "m".into()
            }
            .exit(),
            Exit::Input
        );
        assert_eq!(Error::NotFound("x".into()).exit(), Exit::Input);
        assert_eq!(Error::Cluster("x".into()).exit(), Exit::Input);
    }
}
