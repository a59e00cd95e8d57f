//! Platform Connector tables of any size, generated inside the server (`generate_series`), for
//! the benchmark and the tests of scale: `LOG` rows of which a given number are user actions,
//! `AUDIT_TRAIL` rows, a share of whose actions `LOG` records too (twins, which the collector
//! shows once), and 50 people in `USER`.
//!
//! Times count back from a base (the Platform Connector's last sync): `LOG` and `AUDIT_TRAIL`
//! over the 80,000 s before it, so everything lies in a `--since 24h` window, plus one chatter
//! row 30 days earlier, where the warehouse's retention starts (it is not in the window). The
//! `LOG` actions that are not twins are on connections of their own (`conn_log_*`), so no
//! action merges by chance: the items are exactly [`Volume::items`].

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Volume {
    /// `LOG` rows in the window (one more, older, marks the start of retention).
    pub log_rows: u64,
    /// Of them, user actions (twins included).
    pub actions: u64,
    /// `AUDIT_TRAIL` rows.
    pub trail_rows: u64,
    /// Every `twin_every`th `AUDIT_TRAIL` action has a `LOG` twin (one second earlier).
    pub twin_every: u64,
}

/// People in `USER`.
pub const PEOPLE: u64 = 50;

impl Volume {
    /// The `LOG` twins of `AUDIT_TRAIL` actions.
    pub fn twins(&self) -> u64 {
        self.trail_rows.div_ceil(self.twin_every.max(1))
    }

    /// The items a collection of the whole window gives: every action once.
    pub fn items(&self) -> u64 {
        self.actions + self.trail_rows - self.twins()
    }

    /// The SQL that makes schema `schema` (an identifier of letters, digits and `_`) with the
    /// tables, times counting back from `base` (RFC 3339).
    pub fn sql(&self, schema: &str, base: &str) -> String {
        assert!(
            schema
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        );
        let twins = self.twins();
        let plain_rows = self.log_rows - twins;
        let plain_actions = self.actions - twins;
        let every = (plain_rows / plain_actions.max(1)).max(1);
        let log_step_us = 80_000_000_000 / self.log_rows.max(1);
        let trail_step_us = 80_000_000_000 / self.trail_rows.max(1);
        let twin_every = self.twin_every.max(1);
        format!(
            "CREATE SCHEMA {schema};
CREATE TABLE {schema}.log (
  id text NOT NULL, time_stamp timestamp with time zone NOT NULL, connection_id text,
  event text, message_event text, message_data jsonb, sync_id text, transformation_id text,
  _fivetran_synced timestamp with time zone, PRIMARY KEY (id, time_stamp));
CREATE TABLE {schema}.audit_trail (
  id text PRIMARY KEY, captured_at timestamp with time zone, user_id text, action text,
  interaction_method text, primary_resource_type text, primary_resource_id text,
  secondary_resource_type text, secondary_resource_id text, old_values text, new_values text,
  _fivetran_synced timestamp with time zone);
CREATE TABLE {schema}.\"user\" (
  id text PRIMARY KEY, email text, given_name text, family_name text,
  _fivetran_deleted boolean, _fivetran_synced timestamp with time zone);
INSERT INTO {schema}.\"user\"
  SELECT 'user_' || k, 'user' || k || '@bench.example', 'User', k::text, false, '{base}'
  FROM generate_series(0, {people}) k;
INSERT INTO {schema}.audit_trail
  SELECT 'at_' || n, '{base}'::timestamptz - (n + 1) * interval '{trail_step_us} microseconds',
         'user_' || (n % {PEOPLE}), 'EDIT', 'API', 'CONNECTION', 'conn_' || (n % 500), NULL, NULL,
         '{{\"paused\": false}}', '{{\"paused\": true, \"password\": \"bench-never-shown\"}}', '{base}'
  FROM generate_series(0, {last_trail}) n;
INSERT INTO {schema}.log
  SELECT 'l_' || i, '{base}'::timestamptz - (i + 1) * interval '{log_step_us} microseconds',
         CASE WHEN i % {every} = 0 AND i / {every} < {plain_actions}
              THEN 'conn_log_' || (i % 500) ELSE 'conn_' || (i % 500) END,
         'INFO',
         CASE WHEN i % {every} = 0 AND i / {every} < {plain_actions}
              THEN 'edit_connection' ELSE 'records_modified' END,
         CASE WHEN i % {every} = 0 AND i / {every} < {plain_actions}
              THEN jsonb_build_object('actor', 'user' || (i % {PEOPLE}) || '@bench.example',
                     'id', 'conn_log_' || (i % 500),
                     'properties', jsonb_build_object('sync_frequency', 60))
              ELSE jsonb_build_object('schema', 'schema_' || (i % 7), 'table', 'table_' || (i % 100),
                     'count', i, 'operationType', 'REPLACED_OR_INSERTED') END,
         's_' || (i / 1000), NULL, '{base}'
  FROM generate_series(0, {last_plain}) i;
INSERT INTO {schema}.log
  SELECT 'tw_' || substr(id, 4), captured_at - interval '1 second', primary_resource_id, 'INFO',
         'edit_connection', jsonb_build_object('actor', user_id, 'id', primary_resource_id),
         NULL, NULL, '{base}'
  FROM {schema}.audit_trail WHERE substr(id, 4)::bigint % {twin_every} = 0;
INSERT INTO {schema}.log VALUES ('l_retention', '{base}'::timestamptz - interval '30 days',
  'conn_0', 'INFO', 'sync_end', '{{}}', NULL, NULL, '{base}');
ANALYZE {schema}.log;
ANALYZE {schema}.audit_trail;
",
            people = PEOPLE - 1,
            last_trail = self.trail_rows.saturating_sub(1),
            last_plain = plain_rows.saturating_sub(1),
        )
    }
}
