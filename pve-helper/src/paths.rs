//! Every file system path and name the helper uses by default, in one place.

/// The helper's configuration file.
pub const CONFIG_FILE: &str = "/etc/pve-mcp/helper.toml";
/// The policy file.
pub const POLICY_FILE: &str = "/etc/pve-mcp/policy.toml";
/// The Unix socket mcp-front connects to.
pub const SOCKET: &str = "/run/pve-mcp/helper.sock";
/// Name of the token credential under `$CREDENTIALS_DIRECTORY` (systemd `LoadCredential=`).
pub const TOKEN_CREDENTIAL: &str = "pve-token";
/// The token file when no credential is passed by systemd.
pub const TOKEN_FILE: &str = "/etc/pve-mcp/token";
/// The only `PATH` allow-listed commands see.
pub const COMMAND_ENV_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";
