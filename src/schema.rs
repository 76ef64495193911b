//! `schema [report|explain|plan|fleet]`: the JSON Schema of the report (`-o json`), of `explain -o
//! json`, of `fix -o json` or of a fleet's report, printed as JSON (the default) or, with `-o yaml`, as YAML.

use std::io::Write;

use crate::cli::{Format, SchemaKind};
use crate::error::Result;

/// Print the schema of `which` in `format` (JSON unless YAML is asked for).
pub fn write(which: SchemaKind, format: Format, out: &mut dyn Write) -> Result<()> {
    let json = match which {
        SchemaKind::Report => crate::report_schema(),
        SchemaKind::Explain => crate::explain_schema(),
        SchemaKind::Plan => crate::plan_schema(),
        SchemaKind::Fleet => crate::fleet_schema(),
    };
    match format {
        Format::Yaml => {
            let value: serde_json::Value = serde_json::from_str(&json)
                .map_err(|e| std::io::Error::other(format!("schema: {e}")))?;
            let yaml = serde_saphyr::to_string(&value)
                .map_err(|e| std::io::Error::other(format!("schema as YAML: {e}")))?;
            out.write_all(yaml.as_bytes())?;
        }
        _ => writeln!(out, "{json}")?,
    }
    Ok(())
}
