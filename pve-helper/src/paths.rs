//! Every file system path and name the helper uses by default, in one place.

/// The helper's configuration file.
pub const CONFIG_FILE: &str = "/etc/pve-mcp/helper.toml";
/// The policy file.
pub const POLICY_FILE: &str = "/etc/pve-mcp/policy.toml";
/// The clients directory, beside the policy file unless `helper.toml` says
/// `clients_dir`: `LOGIN.toml` in it is that login user's own policy.
pub const CLIENTS_DIR_NAME: &str = "clients.d";
/// The clients directory of a policy file: [`CLIENTS_DIR_NAME`] beside it.
pub fn default_clients_dir(policy: &std::path::Path) -> std::path::PathBuf {
    policy
        .parent()
        .unwrap_or_else(|| std::path::Path::new("/"))
        .join(CLIENTS_DIR_NAME)
}
/// The largest policy file of a client that is read.
pub const MAX_CLIENT_POLICY: u64 = 1 << 20;
/// The Unix socket mcp-front connects to.
pub const SOCKET: &str = "/run/pve-mcp/helper.sock";
/// Name of the token credential under `$CREDENTIALS_DIRECTORY` (systemd `LoadCredential=`).
pub const TOKEN_CREDENTIAL: &str = "pve-token";
/// The token file when no credential is passed by systemd.
pub const TOKEN_FILE: &str = "/etc/pve-mcp/token";
/// The only `PATH` allow-listed commands see.
pub const COMMAND_ENV_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";
/// The systemd unit running the helper.
pub const SERVICE_UNIT: &str = "pve-mcp-helper.service";
/// The journal's reader, looked up in `PATH`, for `pve-helper audit`.
pub const JOURNALCTL: &str = "journalctl";
/// The local user sshd confines to mcp-front (the assistant logs in as this user).
pub const CLIENT_USER: &str = "claude-user";
/// The group whose members may connect to the socket.
pub const CLIENT_GROUP: &str = "pve-mcp-clients";
/// The system user the helper runs as.
pub const HELPER_USER: &str = "pve-mcp";
/// pveproxy's custom certificate (uploaded or ACME), used when present.
pub const PVE_PROXY_CERT: &str = "/etc/pve/local/pveproxy-ssl.pem";
/// The node certificate signed by the cluster CA, used otherwise.
pub const PVE_NODE_CERT: &str = "/etc/pve/local/pve-ssl.pem";
/// The Proxmox user `pve-helper setup` creates for the helper.
pub const PVE_USER: &str = "mcp@pve";
/// The Proxmox role holding exactly the privileges the policy needs.
pub const PVE_ROLE: &str = "MCPHelper";
/// The name of the privilege-separated API token of [`PVE_USER`].
pub const PVE_TOKEN_NAME: &str = "mcp";
/// The package's state directory; client accounts' homes are under it.
pub const STATE_DIR: &str = "/var/lib/pve-mcp";
/// What the package and `pve-helper setup` created on this host, one `user NAME` or
/// `group NAME` a line, so that purge removes that and only that.
pub const CREATED_RECORD: &str = "/var/lib/pve-mcp/created-by-package";
/// The sshd drop-in `pve-helper setup` writes for clients other than [`CLIENT_USER`].
pub const SSHD_CLIENTS_DROPIN: &str = "/etc/ssh/sshd_config.d/pve-mcp-clients.conf";
