//! Fuzz target: see [`pve_mcp_fuzz::listing`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pve_mcp_fuzz::listing::check(data));
