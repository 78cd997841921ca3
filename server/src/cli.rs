//! The `parley` command line: serving, team administration and migrations.

use crate::auth::password::NewPassword;
use crate::auth::token;
use crate::config::Config;
use crate::store::{self, Millis, NewUser, SharedStore};
use clap::{Parser, Subcommand};
use parley_app::model::{DisplayName, Email, Role};
use std::io::BufRead;

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
    /// Run the web server (applies migrations first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
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
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token for a member and print it (it is stored only as a hash).
    Create {
        #[arg(long, value_parser = parse_email)]
        email: Email,
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
        Command::Serve => {
            let store = store::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            create_first_admin(&store).await?;
            let app = crate::Application::build_with_store(config, store)
                .await
                .map_err(|e| e.to_string())?;
            app.serve().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            store::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::User { command } => {
            let store = store::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            run_user(command, &store).await
        }
        Command::Token {
            command: TokenCommand::Create { email },
        } => {
            let store = store::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let user = store
                .credentials_by_email(&email)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user with email {email}"))?
                .user;
            if user.disabled {
                return Err(format!("{email} is disabled"));
            }
            let minted = token::mint();
            store
                .create_api_token(user.id, &minted.digest, Millis::now())
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", minted.token);
            Ok(())
        }
    }
}

async fn run_user(command: UserCommand, store: &SharedStore) -> CliResult {
    match command {
        UserCommand::Add { email, name, role } => {
            let password = NewPassword::parse(&read_password()?)?;
            let password_hash = crate::password_hasher()
                .hash(password)
                .await
                .map_err(|e| e.to_string())?;
            let user = store
                .create_user(NewUser {
                    email,
                    name,
                    role,
                    password_hash,
                })
                .await
                .map_err(|e| e.to_string())?;
            println!("Added {} <{}> as {}.", user.name, user.email, user.role);
            Ok(())
        }
        UserCommand::List => {
            for user in store.list_users().await.map_err(|e| e.to_string())? {
                let status = if user.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{}\t{}", user.email, user.name, user.role, status);
            }
            Ok(())
        }
        UserCommand::Disable { email } => {
            let user = store
                .set_user_disabled(&email, true)
                .await
                .map_err(|e| e.to_string())?;
            println!("Disabled {}.", user.email);
            Ok(())
        }
    }
}

/// A new installation has nobody to sign in as: create an admin with a generated password and
/// print it once (`PARLEY_ADMIN_EMAIL` picks the address).
async fn create_first_admin(store: &SharedStore) -> CliResult {
    if !store
        .list_users()
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(());
    }
    let email = std::env::var("PARLEY_ADMIN_EMAIL").unwrap_or_else(|_| "admin@parley.local".into());
    let email = Email::parse(&email).map_err(|e| format!("PARLEY_ADMIN_EMAIL is invalid: {e}"))?;
    let password = generate_password();
    let password_hash = crate::password_hasher()
        .hash(NewPassword::parse(&password)?)
        .await
        .map_err(|e| e.to_string())?;
    let name = DisplayName::parse("Admin").map_err(|e| e.to_string())?;
    store
        .create_user(NewUser {
            email: email.clone(),
            name,
            role: Role::Admin,
            password_hash,
        })
        .await
        .map_err(|e| e.to_string())?;
    println!("First admin created. Sign in as: {email} / {password}");
    Ok(())
}

fn generate_password() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
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
