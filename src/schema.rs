//! `schema`: the JSON Schema of the report (`-o json`), printed as JSON (the default) or, with
//! `-o yaml`, as YAML.

use std::io::Write;

use crate::cli::Format;
use crate::error::Result;

/// Print the report's schema in `format` (JSON unless YAML is asked for).
pub fn write(format: Format, out: &mut dyn Write) -> Result<()> {
    let json = crate::report_schema();
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
