//! What the tools cost a model's context stays within its budget: `tools/list` with
//! every tool granted, the six seed tools, and a default `list_vms` page at 3,000
//! guests (exact byte counts, the same figures `pve-bench` reports).

use pve_mcp_tests::bench::context::{self, SEED_TOOLS};

#[test]
fn tools_list_and_a_listing_page_stay_within_the_context_budget() {
    let cost = context::measure().expect("measured");
    assert_eq!(cost.tools, 40, "every tool is listed under the wide policy");
    let mut table: Vec<String> = cost
        .per_tool
        .iter()
        .map(|t| {
            format!(
                "{:<20} {:>6} (description {}, input schema {})",
                t.name, t.model_bytes, t.description_bytes, t.input_schema_bytes
            )
        })
        .collect();
    table.sort();
    let over = cost.over_budget();
    assert!(
        over.is_empty(),
        "over budget: {over:?}\ntools/list {} bytes, seed ({SEED_TOOLS:?}) {} bytes, \
         list_vms {} bytes whole ({} text)\n{}",
        cost.tools_model_bytes,
        cost.seed_model_bytes,
        cost.list_vms_answer_bytes,
        cost.list_vms_text_bytes,
        table.join("\n")
    );
}
