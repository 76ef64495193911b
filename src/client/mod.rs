//! The Kubernetes client layer: every conversation with an API server goes through here.
//!
//! - [`connect`]: kubeconfig / in-cluster configuration → a [`Connection`];
//! - [`transport`]: one request exchange with one retry policy and the `-v` log;
//! - [`proxy`]: the proxy for the server, chosen as client-go chooses it;
//! - [`list`]: paged lists, single objects, names;
//! - [`pods`]: explain's and fix's pod reads, and fix's deletes and evictions;
//! - [`watch`]: watches from a list's resourceVersion, read as event streams (`--wait`);
//! - [`error`]: typed errors (status, reason, `Retry-After`) that callers decide by.
//!
//! Nothing here knows about coverage; nothing in the pure modules (eligibility, coverage, gate,
//! explain, fix's planner) imports this.

pub mod connect;
pub mod error;
pub mod list;
pub mod pods;
pub mod proxy;
pub mod transport;
pub mod watch;

pub use connect::{ConnectArgs, Connection, connect};
pub use error::{ApiError, ClientError};
pub use list::{ListQuery, encode};
pub use pods::{Preconditions, Removal, WriteAnswer, Written};
pub use proxy::ProxyEnv;
pub use transport::{FetchArgs, Retry, Transport};
pub use watch::{WatchEvent, WatchStream};
