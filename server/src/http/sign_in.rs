//! `POST /login` and `POST /logout`. Browsers post the HTML form and get redirects; API
//! clients post JSON and get JSON.

use super::{ApiError, AppState, client_address, identity::encode_query_value};
use crate::auth::{self, AuthError, SignInStep, session};
use crate::service::{ServiceError, team};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
    /// For JSON clients of a member with two-factor sign-in: the code from their app (or a
    /// recovery code), in the same request.
    #[serde(default)]
    code: Option<String>,
}

/// Where to go after signing in: a path on Parley's own origin, never another site. Browsers
/// drop tabs and newlines from URLs and read `\\` as `/`, so `/\t/evil.example` would be
/// `//evil.example` to them: only printable, non-space ASCII passes, starting with exactly one
/// `/`, and it must still resolve to this origin.
pub fn local_target(next: Option<&str>) -> &str {
    const HOME: &str = "/inbox";
    let Some(path) = next else { return HOME };
    let printable = path.bytes().all(|b| b.is_ascii_graphic());
    let one_slash = path.starts_with('/') && !path.starts_with("//");
    if !printable || !one_slash || path.contains('\\') {
        return HOME;
    }
    let base = reqwest::Url::parse("https://parley.invalid/").expect("a valid base");
    match base.join(path) {
        Ok(resolved) if resolved.origin() == base.origin() => path,
        _ => HOME,
    }
}

fn wants_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Signs in. Browsers post the form and are redirected; JSON clients get the member, 401 for
/// wrong credentials, or 429 with `Retry-After` after repeated failures.
#[utoipa::path(post, path = "/login", tag = "team",
    request_body(content = SignInForm, content_type = "application/json"),
    responses((status = 200, description = "signed in; the session cookie is set"),
        (status = 401, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn sign_in(State(app): State<AppState>, session: Session, request: Request) -> Response {
    let json = wants_json(&request);
    let client = client_address(&request, app.config.trusted_proxies);
    let form = if json {
        Json::<SignInForm>::from_request(request, &())
            .await
            .map(|Json(f)| f)
            .map_err(|e| e.body_text())
    } else {
        axum::Form::<SignInForm>::from_request(request, &())
            .await
            .map(|axum::Form(f)| f)
            .map_err(|e| e.body_text())
    };
    let form = match form {
        Ok(form) => form,
        Err(problem) => return ApiError::Invalid(problem).into_response(),
    };
    let outcome = app.auth.sign_in(&form.email, &form.password, &client).await;
    let next = local_target(form.next.as_deref());
    match (outcome, json) {
        (Ok(SignInStep::Complete(user)), _) => complete(&app, &session, &user, next, json).await,
        (Ok(SignInStep::NeedsCode(user)), true) => {
            let Some(code) = form.code.as_deref() else {
                return ApiError::SecondFactorRequired.into_response();
            };
            match app.auth.second_factor(&user, code, &client).await {
                Ok(()) => complete(&app, &session, &user, next, json).await,
                Err(error) => ApiError::from(error).into_response(),
            }
        }
        (Ok(SignInStep::NeedsCode(user)), false) => {
            if let Err(e) = session::owe_code(&session, user.id, next, app.services.now()).await {
                return ApiError::from(e).into_response();
            }
            Redirect::to("/login/code").into_response()
        }
        (Err(error), true) => ApiError::from(error).into_response(),
        (Err(AuthError::InvalidCredentials), false) => Redirect::to(&format!(
            "/login?error=invalid&next={}",
            encode_query_value(next)
        ))
        .into_response(),
        (Err(AuthError::Throttled { retry_after_secs }), false) => throttled_page(retry_after_secs),
        (Err(error), false) => ApiError::from(error).into_response(),
    }
}

/// Signs the member in: a fresh session, flagged when the workspace requires a second factor
/// they have not set up (they can then only set it up).
async fn complete(
    app: &AppState,
    session: &Session,
    user: &crate::store::User,
    next: &str,
    json: bool,
) -> Response {
    let svc = &app.services;
    if let Err(e) = session::begin(session, user.id, svc.now()).await {
        return ApiError::from(e).into_response();
    }
    let must_enrol = match crate::service::two_factor::must_enrol(svc, user).await {
        Ok(must) => must,
        Err(error) => return ApiError::from(error).into_response(),
    };
    if must_enrol && let Err(e) = session::require_enrolment(session).await {
        return ApiError::from(e).into_response();
    }
    tracing::info!(user = %user.id, "signed in");
    if json {
        Json(serde_json::json!({ "user": auth::viewer_of(user) })).into_response()
    } else if must_enrol {
        Redirect::to(crate::http::identity::ENROL_PAGE).into_response()
    } else {
        Redirect::to(next).into_response()
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CodeForm {
    /// Six digits from the authenticator app, or a recovery code.
    code: String,
}

/// The second step of a browser's sign-in, after the password: a code from the member's
/// authenticator app or a recovery code. Redirects to where sign-in was headed, or back to
/// the code page; after five wrong codes, 429 like passwords.
#[utoipa::path(post, path = "/login/code", tag = "team",
    request_body(content = CodeForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "signed in, or back to the code page"),
        (status = 429, body = super::error::ErrorBody)))]
pub async fn sign_in_code(
    State(app): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let client = client_address(&request, app.config.trusted_proxies);
    let form = match axum::Form::<CodeForm>::from_request(request, &()).await {
        Ok(axum::Form(form)) => form,
        Err(problem) => return ApiError::Invalid(problem.body_text()).into_response(),
    };
    let svc = &app.services;
    let owed = match session::code_owed(&session, svc.now()).await {
        Ok(Some(owed)) => owed,
        Ok(None) => return Redirect::to("/login?error=expired").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let user = match svc.store.team.user_by_id(owed.user).await {
        Ok(Some(user)) if !user.disabled => user,
        Ok(_) => return Redirect::to("/login?error=expired").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    match app.auth.second_factor(&user, &form.code, &client).await {
        Ok(()) => complete(&app, &session, &user, local_target(Some(&owed.next)), false).await,
        Err(AuthError::Throttled { retry_after_secs }) => throttled_page(retry_after_secs),
        Err(AuthError::InvalidCredentials) => {
            Redirect::to("/login/code?error=invalid").into_response()
        }
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// After a password change, the caller's browser session continues (every other one ends).
pub async fn continue_session(
    session: &Session,
    user: parley_app::model::UserId,
    now: crate::domain::Millis,
) -> Result<(), ApiError> {
    session::renew(session, user, now).await?;
    Ok(())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SetPasswordForm {
    /// The secret from the one-time link (`/set-password?token=…`).
    token: String,
    password: String,
    /// The password again; browsers' form sends it, JSON clients may leave it out.
    #[serde(default)]
    confirm: Option<String>,
}

/// Sets a member's password through their one-time link and signs them in. Browsers post the
/// form and are redirected to the inbox (or back to the form, saying what was wrong); JSON
/// clients get the member, 404 for a used or expired link, 422 for a password too short.
#[utoipa::path(post, path = "/set-password", tag = "team",
    request_body(content = SetPasswordForm, content_type = "application/json"),
    responses((status = 200, description = "password set; signed in"),
        (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn set_password(
    State(app): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let json = wants_json(&request);
    let origin =
        crate::service::audit::Origin(client_address(&request, app.config.trusted_proxies));
    let form = if json {
        Json::<SetPasswordForm>::from_request(request, &())
            .await
            .map(|Json(f)| f)
            .map_err(|e| e.body_text())
    } else {
        axum::Form::<SetPasswordForm>::from_request(request, &())
            .await
            .map(|axum::Form(f)| f)
            .map_err(|e| e.body_text())
    };
    let form = match form {
        Ok(form) => form,
        Err(problem) => return ApiError::Invalid(problem).into_response(),
    };
    let back = |code: &str| {
        Redirect::to(&format!(
            "/set-password?token={}&error={code}",
            encode_query_value(&form.token)
        ))
        .into_response()
    };
    if form
        .confirm
        .as_ref()
        .is_some_and(|confirm| *confirm != form.password)
    {
        return if json {
            ApiError::Invalid("the two passwords differ".into()).into_response()
        } else {
            back("mismatch")
        };
    }
    let svc = &app.services;
    match team::redeem_link(svc, &origin, &form.token, &form.password).await {
        Ok(user) => {
            if let Err(e) = session::begin(&session, user.id, svc.now()).await {
                return ApiError::from(e).into_response();
            }
            if json {
                Json(serde_json::json!({ "user": auth::viewer_of(&user) })).into_response()
            } else {
                Redirect::to("/inbox").into_response()
            }
        }
        Err(error) if json => ApiError::from(error).into_response(),
        Err(ServiceError::Invalid(_)) => back("weak"),
        Err(ServiceError::NotFound(_)) => back("gone"),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// The 429 a browser sees: the reason in words, and `Retry-After` for machines.
fn throttled_page(retry_after_secs: u64) -> Response {
    let minutes = retry_after_secs.div_ceil(60);
    let body = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Too many attempts · Parley</title><link rel="stylesheet" href="/pkg/parley.css"></head><body><main class="centered-card"><h1>Too many sign-in attempts</h1><p class="form-error" role="alert">Please wait {minutes} minute(s) and try again.</p><p><a href="/login">Back to sign-in</a></p></main></body></html>"#
    );
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::response::Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

#[utoipa::path(post, path = "/logout", tag = "team", responses((status = 204, description = "signed out")))]
pub async fn sign_out(State(app): State<AppState>, session: Session, request: Request) -> Response {
    let json = wants_json(&request);
    if let Err(e) = session::end(&session).await {
        return ApiError::from(e).into_response();
    }
    // This session's open event streams, on every node, end now.
    if let Some(viewer) = request.extensions().get::<parley_app::model::Viewer>()
        && let Err(e) = app
            .services
            .store
            .team
            .credentials_changed(viewer.id, app.services.now())
            .await
    {
        return ApiError::from(e).into_response();
    }
    if json {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::local_target;

    #[test]
    fn only_local_targets() {
        assert_eq!(local_target(Some("/inbox/42")), "/inbox/42");
        assert_eq!(local_target(Some("//evil.test")), "/inbox");
        assert_eq!(local_target(Some("https://evil.test")), "/inbox");
        assert_eq!(local_target(Some("/\\evil.test")), "/inbox");
        assert_eq!(local_target(Some("/\t/evil.example")), "/inbox");
        assert_eq!(local_target(Some("/\n/evil.example")), "/inbox");
        assert_eq!(local_target(Some("/ /evil.example")), "/inbox");
        assert_eq!(local_target(Some("/inbox?q=a b")), "/inbox");
        assert_eq!(
            local_target(Some("/inbox?filter=mine")),
            "/inbox?filter=mine"
        );
        assert_eq!(local_target(Some("inbox")), "/inbox");
        assert_eq!(local_target(None), "/inbox");
    }
}
