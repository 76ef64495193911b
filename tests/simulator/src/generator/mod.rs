//! A deterministic synthetic-cluster generator, used by the integration tests (through
//! `tests/support`) and by the simulator binary's `--generate`.
//!
//! [`generate`] builds Nodes, DaemonSets, daemon and ordinary Pods and ControllerRevisions shaped
//! as `kubectl get -o json` returns them (the shapes of `examples/cluster.yaml`). Every choice
//! comes from a splitmix64 stream derived from the seed, so the same [`ClusterSpec`] always gives
//! byte-identical JSON.
//!
//! Each DaemonSet's `.status` is computed from the pods generated for it with the controller's
//! rules (`pkg/controller/daemon/daemon_controller.go: updateDaemonSetStatus`). To know where the
//! controller wants a pod, the generator carries a deliberately small copy of
//! `daemon_controller.go: NodeShouldRunDaemonPod` that covers only the shapes it generates:
//! nodeSelector equality, one required affinity term of `In`/`NotIn` expressions, and
//! `Equal`/`Exists` tolerations plus the controller's default tolerations
//! (`pkg/controller/daemon/util/daemonset_util.go: AddOrUpdateDaemonPodTolerations`) against
//! NoSchedule/NoExecute taints (`k8s.io/api/core/v1/toleration.go: ToleratesTaint`). Tests
//! cross-check it against the real engine.
//!
//! One module per part: `api` (the public types), `random` (the seeded stream), `placement`
//! (the small placement rule), `nodes`, `profiles` (DaemonSet kinds), `templates`, `pods`, and
//! `build` (the generator itself, drift and the DaemonSets' status).

mod api;
mod build;
mod nodes;
mod placement;
mod pods;
mod profiles;
mod random;
mod statics;
mod templates;

pub use api::*;
use build::*;
use nodes::*;
use placement::*;
use pods::*;
use profiles::*;
use random::*;
pub use statics::{KUBEADM_STATIC_PODS, StaticFault, add_kubeadm_static_pods};
use templates::*;

/// The instant generated clusters are captured at (`--as-of`); every timestamp is earlier.
pub const AS_OF: &str = "2026-11-20T12:00:00Z";

const MIN: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// Seconds from the epoch base, 2026-11-01T00:00:00Z, to [`AS_OF`].
const AS_OF_OFFSET: i64 = 19 * DAY + 12 * HOUR;
const CLUSTER_NAME: &str = "prod-eu-west-1";
const REGION: &str = "eu-west-1";
const ZONES: [&str; 3] = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const KUBELET_VERSION: &str = "v1.31.4";
/// Padding levels tried by the size calibration (see [`pad_template`]).
const MAX_PAD_LEVEL: usize = 160;
