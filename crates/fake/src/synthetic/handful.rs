//! The items of the generated account that do not scale with its size: webhooks (one for the
//! account, one per group up to four), log services (the account's and up to three groups'),
//! system keys, private links, proxy agents and hybrid deployment agents.

use serde_json::json;

use super::ids::{KEY, hex_id, word_id};
use super::{FakeAccount, Fixed, Generator};

impl Generator<'_> {
    /// Webhooks, log services, system keys and agents: a handful, whatever the size.
    pub(super) fn handful(&self, a: &mut FakeAccount, fixed: &Fixed) {
        let creator = self.users.first();
        for w in 0..fixed.webhooks {
            let group = w.checked_sub(1).and_then(|g| self.groups.get(g));
            a.webhooks.push(json!({
                "id": word_id(0xf0_0000 + w),
                "type": if group.is_some() { "group" } else { "account" },
                "group_id": group, "url": format!("https://hooks.synthetic.example/{w}"),
                "events": ["sync_end", "connection_failure"], "active": true,
                "secret": format!("PLANTED-webhook-secret-{w}"),
                "created_at": self.ago(200 + w as u64, w as u64), "created_by": creator,
            }));
        }
        for group in self.groups.iter().take(fixed.log_services) {
            a.log_services.push(json!({
                "id": group, "service": "datadog_log", "enabled": true,
                "status": {"setup_state": "connected", "tasks": []},
            }));
        }
        a.account_log_service = Some(json!({
            "id": word_id(0xf1_0000), "service": "splunkLog", "enabled": true,
            "status": {"setup_state": "connected", "tasks": []},
            "config": {"host": "splunk.synthetic.example", "port": 8088,
                "token": "PLANTED-splunk-token"},
        }));
        for k in 0..fixed.system_keys {
            a.system_keys.push(json!({
                "id": hex_id(KEY, k), "name": format!("system-key-{k}"),
                "key": format!("PLANTED-system-key-{k}"),
                "permissions": [{"resource_type": "ACCOUNT", "access_level": "READ"}],
                "created_at": self.ago(100, k as u64), "updated_at": self.ago(50, k as u64),
                "expired_at": null, "last_used_at": self.ago(1, k as u64),
            }));
        }
        for n in 0..fixed.agents {
            let group = self.groups.get(n);
            a.private_links.push(json!({
                "id": word_id(0xf2_0000 + n), "name": format!("private-link-{n}"),
                "region": "AWS_US_EAST_1", "service": "SNOWFLAKE_AWS",
                "account_id": "synthetic_account", "cloud_provider": "AWS", "state": "OK",
                "created_at": self.ago(300, n as u64), "created_by": creator,
            }));
            a.proxy_agents.push(json!({
                "id": hex_id(KEY, 100 + n), "account_id": "synthetic_account",
                "registered_at": self.ago(250, n as u64), "region": "AWS_US_EAST_1",
                "created_by": creator, "display_name": format!("proxy-{n}"), "version": "1.14.3",
                "status": "CONNECTED", "connector_count": 0, "destination_count": 0,
            }));
            a.hybrid_deployment_agents.push(json!({
                "id": hex_id(KEY, 200 + n), "display_name": format!("agent-{n}"),
                "group_id": group, "registered_at": self.ago(200, n as u64),
                "created_by": creator, "updated_at": self.ago(10, n as u64),
                "last_used_at": self.ago(0, n as u64), "version": "1.2.4", "enabled": true,
                "online": true, "deployment_type": "DOCKER", "usage": [],
            }));
        }
    }
}
