//! Customers' answers to the rating question: a tap on one of its choices rates the
//! conversation it names (once; later taps are kept in the thread but change nothing), and,
//! when a comment was invited, the customer's next text within the hour is kept as the
//! comment. Both land in the resolved conversation they answer instead of reopening it.

use super::Tx;
use super::outbox::send_text_in;
use crate::domain::inbound::Content;
use crate::domain::{Millis, csat};
use crate::store::StoreResult;

/// Longest comment kept.
const LONGEST_COMMENT: usize = 1000;

/// The conversation a customer's message answers as a rating or its comment, if it does.
pub(super) async fn answered(
    tx: &mut Tx<'_>,
    contact_id: i64,
    phone_number_id: &str,
    content: &Content,
    at: i64,
    now: Millis,
) -> StoreResult<Option<i64>> {
    if let Content::InteractiveReply { id: Some(id), .. } = content
        && let Some((conversation_id, rating)) = csat::answer(id)
    {
        return rated(
            tx,
            contact_id,
            phone_number_id,
            conversation_id,
            rating,
            at,
            now,
        )
        .await;
    }
    let Some(comment) = content
        .text()
        .filter(|_| matches!(content, Content::Text { .. }))
    else {
        return Ok(None);
    };
    // A comment only while nothing else is going on with this customer on this number.
    let waiting: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM conversations c
         WHERE contact_id = $1 AND phone_number_id = $2 AND status = 'resolved'
           AND csat_comment_until >= $3
           AND NOT EXISTS (SELECT 1 FROM conversations open WHERE open.contact_id = $1
             AND open.phone_number_id = $2 AND open.status <> 'resolved')
         ORDER BY csat_comment_until DESC LIMIT 1",
    )
    .bind(contact_id)
    .bind(phone_number_id)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(conversation_id) = waiting else {
        return Ok(None);
    };
    let comment: String = comment.trim().chars().take(LONGEST_COMMENT).collect();
    sqlx::query(
        "UPDATE conversations SET csat_comment = $1, csat_comment_until = NULL WHERE id = $2",
    )
    .bind(comment)
    .bind(conversation_id)
    .execute(&mut **tx)
    .await?;
    Ok(Some(conversation_id))
}

/// Records the rating on the conversation it names, if this customer was asked on this
/// number; thanks them and invites a comment when the rule asked for one.
async fn rated(
    tx: &mut Tx<'_>,
    contact_id: i64,
    phone_number_id: &str,
    conversation_id: i64,
    rating: u8,
    at: i64,
    now: Millis,
) -> StoreResult<Option<i64>> {
    let asked: Option<(Option<i64>, bool)> = sqlx::query_as(
        "SELECT csat_rating, csat_wants_comment FROM conversations
         WHERE id = $1 AND contact_id = $2 AND phone_number_id = $3
           AND csat_asked_at IS NOT NULL",
    )
    .bind(conversation_id)
    .bind(contact_id)
    .bind(phone_number_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((earlier, wants_comment)) = asked else {
        return Ok(None); // not a question Parley asked this customer: an ordinary message
    };
    if earlier.is_some() {
        return Ok(Some(conversation_id));
    }
    let comment_until = wants_comment.then(|| at + csat::COMMENT_FOR.as_millis() as i64);
    sqlx::query("UPDATE conversations SET csat_rating = $1, csat_comment_until = $2 WHERE id = $3")
        .bind(i64::from(rating))
        .bind(comment_until)
        .bind(conversation_id)
        .execute(&mut **tx)
        .await?;
    super::history::record_csat(tx, conversation_id, rating, now).await?;
    if wants_comment {
        send_text_in(tx, conversation_id, csat::COMMENT_INVITATION, None, now).await?;
    }
    Ok(Some(conversation_id))
}
