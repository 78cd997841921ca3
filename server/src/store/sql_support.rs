//! SQL helpers both engines share, generic over the engine.

use super::{AttemptLimit, StoreError};

/// Appends `(id, id, …)`, one bound parameter per id.
pub(super) fn push_id_list<'a, DB: sqlx::Database>(
    query: &mut sqlx::QueryBuilder<'a, DB>,
    ids: &[i64],
) where
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    query.push("(");
    let mut listed = query.separated(", ");
    for id in ids {
        listed.push_bind(*id);
    }
    listed.push_unseparated(")");
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
pub(super) fn conflict_on_unique(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(error),
    }
}

/// Escapes `%`, `_` and `\` so user input matches literally inside a LIKE pattern.
pub(super) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

/// SQL for when a key with `count` attempts counted (an SQL expression) is blocked until, `$2`
/// being now: NULL under the limit, else now plus the block for that count. The ladder is a
/// handful of constants from the policy, written into the statement.
pub(super) fn block_until_sql(count: &str, limit: &AttemptLimit) -> String {
    let max = i64::from(limit.max_attempts);
    let mut sql = format!("CASE WHEN ({count}) < {max} THEN NULL");
    let last = limit.blocks_ms.len().saturating_sub(1);
    for (step, block) in limit.blocks_ms.iter().enumerate() {
        if step == last {
            sql.push_str(&format!(" ELSE $2 + {block}"));
        } else {
            sql.push_str(&format!(
                " WHEN ({count}) = {} THEN $2 + {block}",
                max + step as i64
            ));
        }
    }
    if limit.blocks_ms.is_empty() {
        sql.push_str(" ELSE NULL");
    }
    sql.push_str(" END");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn the_block_ladder_is_one_case_expression() {
        let limit = AttemptLimit {
            window_ms: 1,
            max_attempts: 5,
            blocks_ms: vec![60, 120],
        };
        assert_eq!(
            block_until_sql("n", &limit),
            "CASE WHEN (n) < 5 THEN NULL WHEN (n) = 5 THEN $2 + 60 ELSE $2 + 120 END"
        );
    }
}
