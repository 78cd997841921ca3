//! Fixture for the reports benchmark: on a database `seed` filled (100,000 conversations,
//! 1,000,000 messages), spreads the messages over 90 days and writes each conversation's
//! history as Parley would have (opened, assigned to one of 20 agents in one of 3 teams, a
//! first reply, three more replies, resolved for four in five, a lapsed window for one in 30).
//! Bulk SQL on both engines: a fixture generator, not how Parley writes, so `parley
//! recount-reports` counts the reports' daily totals afterwards.

use std::time::Instant;

const DAY_MS: i64 = 86_400_000;
const AGENTS: i64 = 20;
const TEAMS: i64 = 3;

pub(crate) async fn seed_history(database_url: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url).await.expect("connect");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let started = Instant::now();
    for agent in 0..AGENTS {
        sqlx::query(
            "INSERT INTO users (email, name, role, password_hash, created_at)
             VALUES ($1, $2, 'agent', '!', $3)",
        )
        .bind(format!("agent{agent}@bench.parley"))
        .bind(format!("Agent {agent}"))
        .bind(now)
        .execute(&pool)
        .await
        .unwrap();
    }
    for team in 0..TEAMS {
        sqlx::query("INSERT INTO teams (name, name_key, created_at) VALUES ($1, $1, $2)")
            .bind(format!("team {team}"))
            .bind(now)
            .execute(&pool)
            .await
            .unwrap();
    }
    let first_agent: i64 =
        sqlx::query_scalar("SELECT MIN(id) FROM users WHERE email LIKE '%@bench.parley'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let first_team: i64 = sqlx::query_scalar("SELECT MIN(id) FROM teams")
        .fetch_one(&pool)
        .await
        .unwrap();
    // When each conversation began: spread over 90 days, an hour before now at the latest.
    let began = format!(
        "({now} - 3600000 - (c.id * 77777777) % ({} - 3600000))",
        90 * DAY_MS
    );
    let agent = format!("({first_agent} + c.id % {AGENTS})");
    let team = format!("({first_team} + c.id % {TEAMS})");
    let columns = "INSERT INTO conversation_history (conversation_id, kind, actor_id, agent_id,
                     team_id, phone_number_id, value, detail, at) ";
    let wait = "(30 + (c.id * 7) % 1800)";
    let resolution = "(600 + (c.id * 13) % 86400)";
    let statements = [
        format!(
            "UPDATE messages SET sent_at = {} + (id % 10) * 60000",
            began.replace("c.id", "conversation_id")
        ),
        format!(
            "{columns} SELECT c.id, 'opened', NULL, NULL, {team}, c.phone_number_id, NULL, NULL, {began}
             FROM conversations c"
        ),
        format!(
            "{columns} SELECT c.id, 'assigned', NULL, {agent}, {team}, c.phone_number_id, {agent}, NULL,
               {began} + 20000 FROM conversations c"
        ),
        format!(
            "{columns} SELECT c.id, 'first_reply', {agent}, {agent}, {team}, c.phone_number_id, {wait},
               NULL, {began} + {wait} * 1000 FROM conversations c"
        ),
        format!(
            "{columns} SELECT c.id, 'replied', {agent}, {agent}, {team}, c.phone_number_id, NULL, NULL,
               {began} + {wait} * 1000 + r.n * 120000
             FROM conversations c CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2
               UNION ALL SELECT 3) r"
        ),
        format!(
            "{columns} SELECT c.id, 'resolved', {agent}, {agent}, {team}, c.phone_number_id,
               {resolution}, NULL, {began} + {resolution} * 1000
             FROM conversations c WHERE c.id % 5 <> 0"
        ),
        format!(
            "{columns} SELECT c.id, 'window_lapsed', NULL, {agent}, {team}, c.phone_number_id, NULL,
               NULL, {began} + {DAY_MS} FROM conversations c WHERE c.id % 30 = 7"
        ),
    ];
    for statement in &statements {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    // Fresh statistics and (PostgreSQL) visibility maps, as a database that grew to this size
    // under autovacuum would have.
    let analyze = if database_url.starts_with("postgres") {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    sqlx::query(analyze).execute(&pool).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversation_history")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "{{\"history_rows\":{rows},\"days\":90,\"agents\":{AGENTS},\"teams\":{TEAMS},\"seconds\":{:.1}}}",
        started.elapsed().as_secs_f64()
    );
}
