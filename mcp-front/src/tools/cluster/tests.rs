use super::*;

#[test]
fn nodes_table_and_details() {
    let n = Node {
        node: "pve1".into(),
        status: "online".into(),
        cpu: 0.05,
        maxcpu: 16,
        mem: 12 << 30,
        maxmem: 64 << 30,
        disk: 20 << 30,
        maxdisk: 100 << 30,
        uptime: 12 * 86_400,
        loadavg: Some([0.5, 0.25, 0.125]),
        kversion: None,
        pveversion: Some("pve-manager/8.2.4".into()),
        cpu_model: None,
    };
    let text = render_nodes(&Nodes { nodes: vec![n] });
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines[0], "1 nodes (1 online)");
    assert_eq!(
        lines[2],
        "pve1  online  5%   12.0G/64.0G  20.0G/100G  12d0h"
    );
    assert_eq!(lines[3], "pve1: load average 0.50 0.25 0.12");
    assert_eq!(lines[4], "pve1: PVE pve-manager/8.2.4");
}
