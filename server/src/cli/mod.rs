//! The `parley` command line: serving, team administration and migrations.

use crate::auth::password::NewPassword;
use crate::auth::token;
use crate::config::{Config, Secret};
use crate::domain::Millis;
use crate::domain::audit::AuditAction;
use crate::sandbox;
use crate::service::audit::{self, Actor, Origin};
use crate::service::{Services, team};
use crate::store::{self, NewUser, SharedStore};
use clap::{Parser, Subcommand};
use parley_app::model::{DisplayName, Email, Role};
use parley_app::team::MemberChange;
use std::io::BufRead;
use std::sync::Arc;

mod serve;

#[derive(Parser)]
#[command(
    name = "parley",
    version,
    about = "A self-hosted team inbox for the WhatsApp Business Cloud API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server (applies migrations first). Without WA_ACCESS_TOKEN it runs against
    /// the built-in WhatsApp simulator, with a demo workspace.
    Serve,
    /// Run the WhatsApp Cloud API simulator alone, for any webhook consumer.
    Simulate {
        /// Where to POST webhooks (statuses and customer messages).
        #[arg(long)]
        webhook_url: String,
        /// Signs the webhooks (X-Hub-Signature-256), as the app secret does at Meta.
        #[arg(long)]
        app_secret: String,
        /// Address for the simulated Graph API.
        #[arg(long, default_value = "127.0.0.1:4000")]
        listen: std::net::SocketAddr,
        /// The bearer token clients must send (generated and printed when absent).
        #[arg(long, env = "WA_ACCESS_TOKEN")]
        access_token: Option<String>,
        /// Pace of the simulated customers (1.0 lifelike; higher is faster).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Only answer API calls: no scripted customers writing in.
        #[arg(long)]
        quiet: bool,
        /// The secret the `/_simulator/*` controls require (header `X-Simulator-Secret`);
        /// without it they answer nobody.
        #[arg(long, env = "PARLEY_SIMULATOR_SECRET", hide_env_values = true)]
        control_secret: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Count the reports' daily totals again from the conversations' history and the
    /// messages: after restoring a backup or loading rows into the database by hand.
    RecountReports,
    /// Manage team members.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage personal API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a member. The password comes from PARLEY_PASSWORD, else from the first line of stdin.
    Add {
        #[arg(long, value_parser = parse_email)]
        email: Email,
        #[arg(long, value_parser = parse_name)]
        name: DisplayName,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List every member.
    List,
    /// Disable a member: they cannot sign in and their sessions and tokens stop working.
    Disable {
        #[arg(long, value_parser = parse_email)]
        email: Email,
    },
    /// Enable a disabled member again.
    Enable {
        #[arg(long, value_parser = parse_email)]
        email: Email,
    },
    /// Change a member's role (the last active admin keeps theirs).
    Role {
        #[arg(long, value_parser = parse_email)]
        email: Email,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Print a one-time link (72 hours) with which a member sets their password. For a member
    /// who has one, it is a reset: the old password stops working and their sessions end.
    PasswordLink {
        #[arg(long, value_parser = parse_email)]
        email: Email,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token for a member and print it (it is stored only as a hash).
    Create {
        #[arg(long, value_parser = parse_email)]
        email: Email,
        /// What the token is for (shown when listing tokens).
        #[arg(long, default_value = "command line")]
        name: String,
        /// Days until the token stops working (1 to 3650).
        #[arg(long, default_value_t = token::DEFAULT_LIFETIME_DAYS, conflicts_with = "never_expires")]
        expires_days: u32,
        /// The token works until it is revoked.
        #[arg(long)]
        never_expires: bool,
    },
    /// List a member's tokens (never the tokens themselves).
    List {
        #[arg(long, value_parser = parse_email)]
        email: Email,
    },
    /// Revoke one of a member's tokens: it stops working at once.
    Revoke {
        #[arg(long, value_parser = parse_email)]
        email: Email,
        /// The token's id, as `parley token list` shows it.
        #[arg(long)]
        id: i64,
    },
}

fn parse_email(raw: &str) -> Result<Email, String> {
    Email::parse(raw).map_err(|e| e.to_string())
}

fn parse_name(raw: &str) -> Result<DisplayName, String> {
    DisplayName::parse(raw).map_err(|e| e.to_string())
}

fn parse_role(raw: &str) -> Result<Role, String> {
    raw.parse::<Role>().map_err(|e| e.to_string())
}

/// A command's failure, printed as one line.
pub type CliResult = Result<(), String>;

pub async fn run(cli: Cli, config: Config) -> CliResult {
    match cli.command {
        Command::Serve => serve::serve(config).await,
        Command::Simulate {
            webhook_url,
            app_secret,
            listen,
            access_token,
            speed,
            quiet,
            control_secret,
        } => {
            let access_token = access_token.unwrap_or_else(serve::random_secret);
            let mut sim_config = sandbox::SimulatorConfig::new(app_secret, access_token.clone());
            sim_config.webhook_url = Some(webhook_url.clone());
            sim_config.speed = speed;
            if let Some(secret) = control_secret {
                sim_config.control_secret = secret;
            }
            let sim = sandbox::Simulator::new(sim_config);
            let addr = sim
                .start(listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            println!(
                "WhatsApp Cloud API simulator on http://{addr} (WABA {}, access token {access_token})",
                sandbox::DEMO_WABA_ID
            );
            println!(
                "Webhooks go to {webhook_url}; business numbers: {}",
                sandbox::DEMO_NUMBERS.map(|n| n.id).join(", ")
            );
            if !quiet {
                sandbox::seed_conversations(&sim);
                sandbox::spawn_traffic(&sim);
            }
            let _ = tokio::signal::ctrl_c().await;
            Ok(())
        }
        Command::Migrate => {
            store::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::RecountReports => {
            let store = store::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store
                .reports
                .recount_totals()
                .await
                .map_err(|e| e.to_string())?;
            println!("Reports' totals recounted.");
            Ok(())
        }
        Command::User { command } => {
            let store = store::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            run_user(command, &store, &config).await
        }
        Command::Token { command } => {
            let store = store::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            run_token(command, &store).await
        }
    }
}

/// The member with this email, for token commands.
async fn member(store: &SharedStore, email: &Email) -> Result<store::User, String> {
    Ok(store
        .team
        .credentials_by_email(email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user with email {email}"))?
        .user)
}

async fn run_token(command: TokenCommand, store: &SharedStore) -> CliResult {
    let now = Millis::now();
    match command {
        TokenCommand::Create {
            email,
            name,
            expires_days,
            never_expires,
        } => {
            let user = member(store, &email).await?;
            if user.disabled {
                return Err(format!("{email} is disabled"));
            }
            let name = token::parse_name(&name)?;
            let lifetime = if never_expires {
                None
            } else {
                Some(token::lifetime(Some(expires_days))?)
            };
            let (minted, _) = token::issue(store, user.id, name, lifetime, now)
                .await
                .map_err(|e| e.to_string())?;
            println!("{minted}");
            Ok(())
        }
        TokenCommand::List { email } => {
            let user = member(store, &email).await?;
            let tokens = store
                .team
                .api_tokens_of(user.id)
                .await
                .map_err(|e| e.to_string())?;
            for token in tokens {
                let info = crate::views::api_token(&token, now);
                let state = serde_json::to_value(info.state).unwrap_or_default();
                println!(
                    "{}\t{}\t{}\tcreated {}\tlast used {}\texpires {}",
                    info.id,
                    state.as_str().unwrap_or_default(),
                    info.name,
                    token.created_at.to_rfc3339(),
                    token
                        .last_used_at
                        .map_or("never".into(), Millis::to_rfc3339),
                    token.expires_at.map_or("never".into(), Millis::to_rfc3339),
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { email, id } => {
            let user = member(store, &email).await?;
            store
                .team
                .revoke_api_token(user.id, id, now)
                .await
                .map_err(|e| match e {
                    store::StoreError::NotFound(_) => format!("{email} has no token {id}"),
                    other => other.to_string(),
                })?;
            println!("Revoked token {id} of {email}.");
            Ok(())
        }
    }
}

async fn run_user(command: UserCommand, store: &SharedStore, config: &Config) -> CliResult {
    let svc = Services::offline(store.clone(), Arc::new(config.clone()));
    let origin = Origin::command_line();
    match command {
        UserCommand::Add { email, name, role } => {
            let password = NewPassword::parse(&read_password()?)?;
            let password_hash = svc
                .passwords
                .hash(password)
                .await
                .map_err(|e| e.to_string())?;
            let new = NewUser {
                email,
                name,
                role,
                password_hash: Some(password_hash),
            };
            let user = store
                .team
                .create_user(new, svc.now())
                .await
                .map_err(|e| e.to_string())?;
            record_added(store, &user, &origin).await;
            println!("Added {} <{}> as {}.", user.name, user.email, user.role);
            Ok(())
        }
        UserCommand::List => {
            for user in store.team.list_users().await.map_err(|e| e.to_string())? {
                let status = if user.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{}\t{}", user.email, user.name, user.role, status);
            }
            Ok(())
        }
        UserCommand::Disable { email } => {
            let disable = MemberChange {
                disabled: Some(true),
                ..MemberChange::default()
            };
            let user = update_member(&svc, &origin, &email, disable).await?;
            println!("Disabled {}.", user.email);
            Ok(())
        }
        UserCommand::Enable { email } => {
            let enable = MemberChange {
                disabled: Some(false),
                ..MemberChange::default()
            };
            let user = update_member(&svc, &origin, &email, enable).await?;
            println!("Enabled {}.", user.email);
            Ok(())
        }
        UserCommand::Role { email, role } => {
            let role = MemberChange {
                role: Some(role),
                ..MemberChange::default()
            };
            let user = update_member(&svc, &origin, &email, role).await?;
            println!("{} is now {}.", user.email, user.role);
            Ok(())
        }
        UserCommand::PasswordLink { email } => {
            let user = member(&svc.store, &email).await?;
            let link = team::password_link(&svc, None, &origin, user.id)
                .await
                .map_err(|e| e.to_string())?;
            let base = config
                .public_origin
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.bind));
            println!("{base}{}", link.path);
            eprintln!(
                "Works once, until {} (UTC). Hand it to {} yourself: Parley sends no mail.",
                crate::views::time(link.expires_at).0,
                user.email
            );
            Ok(())
        }
    }
}

/// Records in the audit log a member added from the command line.
async fn record_added(store: &SharedStore, user: &store::User, origin: &Origin) {
    let details = serde_json::json!({
        "email": user.email.as_str(), "name": user.name.as_str(), "role": user.role.as_str(),
    });
    let target = format!("member {}", user.id);
    let action = AuditAction::MemberAdded;
    audit::write(
        store,
        Millis::now(),
        Actor::CommandLine,
        origin,
        action,
        target,
        details,
    )
    .await;
}

async fn update_member(
    svc: &Services,
    origin: &Origin,
    email: &Email,
    change: MemberChange,
) -> Result<store::User, String> {
    let user = member(&svc.store, email).await?;
    team::update_member(svc, None, origin, user.id, change)
        .await
        .map_err(|e| e.to_string())
}

fn read_password() -> Result<String, String> {
    if let Ok(password) = std::env::var("PARLEY_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
