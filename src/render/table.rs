//! `-o table`: one row per DaemonSet, then the nodes concerned under each imperfect row.

use std::io::Write;

use crate::config::RenderOptions;
use crate::report::Report;

pub fn render(report: &Report, _opts: &RenderOptions, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "NAMESPACE\tNAME\tELIGIBLE\tREADY\tMISSING\tMISSCHEDULED\tCOVERAGE")?;
    for d in &report.daemon_sets {
        let c = &d.counts;
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{:.1}%",
            d.namespace, d.name, c.eligible, c.ready, c.missing, c.misscheduled, c.coverage_percent
        )?;
    }
    Ok(())
}
